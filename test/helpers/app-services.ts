// Test fixture: the services handed to an app a test builds by hand (buildApp), with the parts the
// test uses given and every other part a stand-in that fails the test loudly if a route reaches it.
import type { ServiceDependencies } from '../../src/server/plugins/services.js';
import { createReadCache } from '../../src/server/read-cache.js';

function absent<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_, property) {
      if (property === 'then') return undefined; // not a thenable: it may pass through a Promise
      throw new Error(`this test's app has no ${name} (it read "${String(property)}")`);
    },
  });
}

export function appServices(given: Partial<ServiceDependencies> & Pick<ServiceDependencies, 'tenants' | 'storage'>): Promise<ServiceDependencies> {
  return Promise.resolve({
    rollouts: absent('image rollouts'),
    webhooks: absent('webhook endpoints'),
    uploads: absent('direct uploads'),
    catalog: absent('video catalog'),
    startRegeneration: async () => {
      throw new Error("this test's app has no thumbnailer runs (it started a regeneration)");
    },
    ready: async () => true,
    readCache: createReadCache(),
    ...given,
  });
}

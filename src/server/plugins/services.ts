// Decorates the app with the services its routes call. They are handed in (the app never builds
// stacks, stores or runners) and may arrive after the app listens: on the local target the object
// store only starts once the webhook route answers, so routes await `app.services`.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { S3Connection } from '../../domain/s3-connection.js';
import type { TenantService } from '../../stacks/tenant-service-types.js';
import { createObjectStorage } from '../storage/object-storage.js';
import { createVideoService, type VideoService } from '../videos/video-service.js';

/** What the composition root hands the app. */
export type ServiceDependencies = {
  tenants: TenantService;
  /** Where tenant buckets live: AWS, or the local object store. */
  objectStore: S3Connection;
  /** The local function runner's intake for object-store events; absent on AWS. */
  acceptObjectEvent?: (event: unknown) => void;
};

export type AppServices = {
  tenants: TenantService;
  videos: VideoService;
  acceptObjectEvent?: (event: unknown) => void;
};

declare module 'fastify' {
  interface FastifyInstance {
    services: Promise<AppServices>;
  }
}

export default fp(
  async function services(app: FastifyInstance, options: { dependencies: Promise<ServiceDependencies>; urlTtlSeconds: number; maxUploadBytes: number }) {
    let closeStorage = () => {};
    const ready = options.dependencies.then((deps) => {
      const storage = createObjectStorage(deps.objectStore);
      closeStorage = () => storage.close();
      const videos = createVideoService({ tenants: deps.tenants, storage, urlTtlSeconds: options.urlTtlSeconds, maxUploadBytes: options.maxUploadBytes });
      return { tenants: deps.tenants, videos, acceptObjectEvent: deps.acceptObjectEvent };
    });
    // A failed start is reported by whoever started the service; never an unhandled rejection here.
    ready.catch(() => undefined);
    app.decorate('services', ready);
    app.addHook('onClose', async () => closeStorage());
  },
  { name: 'services' },
);

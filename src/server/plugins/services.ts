// Decorates the app with the services its routes call. They are handed in (the app never builds
// stacks, stores or runners) and arrive after the app listens: on the local target the object
// store only starts once the webhook route answers. Until they have arrived, every API route
// answers 503 at once rather than hanging; routes then await `app.services`.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ServiceStarting } from '../../domain/errors.js';
import type { ImageRollouts } from '../../tenants/image-rollouts.js';
import type { TenantLifecycle } from '../../tenants/tenant-types.js';
import type { CatalogApi } from '../../catalog/video-catalog.js';
import type { WebhookEndpoints } from '../../webhooks/webhook-types.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { DirectUploads } from '../videos/direct-uploads.js';
import type { StartRegeneration } from '../videos/regeneration-runs.js';
import { createVideoService, type VideoService } from '../videos/video-service.js';
import { withCachedReads } from '../videos/cached-video-reads.js';
import type { ReadCache } from '../read-cache.js';
import { hashApiKey, tenantIdOfApiKey } from '../../domain/api-keys.js';

/** What the composition root hands the app. */
export type ServiceDependencies = {
  tenants: TenantLifecycle;
  rollouts: ImageRollouts;
  webhooks: WebhookEndpoints;
  /** Whether the replica can serve: its database answers (readiness, not liveness). */
  ready(): Promise<boolean>;
  /** The adapter to where tenant buckets live (AWS, or the local object store); its owner closes it. */
  storage: ObjectStorage;
  /** Direct uploads (POST /uploads), whose expiry workers the composition root runs. */
  uploads: DirectUploads;
  /** The catalog every video read answers from, and where uploads, deletes and regenerations are recorded. */
  catalog: CatalogApi;
  /** How a regeneration reaches the tenant's thumbnailer function: the local function runner's job, or the aws invoke. */
  startRegeneration: StartRegeneration;
  /** The local function runner's intake for object-store events; absent on AWS. Resolves once the event is a durable job, rejects when it is not. */
  acceptObjectEvent?: (event: unknown) => Promise<void>;
  /** This replica's cache of read answers, which the composition root keeps following the database's change notices. */
  readCache: ReadCache;
};

export type AppServices = {
  tenants: TenantLifecycle;
  rollouts: ImageRollouts;
  webhooks: WebhookEndpoints;
  ready(): Promise<boolean>;
  /** The tenant whose unrevoked API key this is: through the read cache where it keeps keys. */
  authenticate(apiKey: string): Promise<string | undefined>;
  videos: VideoService;
  uploads: DirectUploads;
  acceptObjectEvent?: (event: unknown) => Promise<void>;
};

declare module 'fastify' {
  interface FastifyInstance {
    services: Promise<AppServices>;
    /** True once the services have arrived: migrations, recovery and workers are up. */
    servicesStarted(): boolean;
  }
}

/** Methods that write nothing: their requests leave the read cache as it is. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export default fp(
  async function services(app: FastifyInstance, options: { dependencies: Promise<ServiceDependencies>; urlTtlSeconds: number; maxUploadBytes: number }) {
    /** Set once the services have arrived. */
    let readCache: ReadCache | undefined;
    const ready = options.dependencies.then((deps) => {
      const cache = (readCache = deps.readCache);
      const videos = createVideoService({
        tenants: deps.tenants,
        catalog: deps.catalog,
        storage: deps.storage,
        startRegeneration: deps.startRegeneration,
        urlTtlSeconds: options.urlTtlSeconds,
        maxUploadBytes: options.maxUploadBytes,
      });
      const authenticate = (apiKey: string) => {
        // The key names its tenant, whose cached answers it is dropped with.
        const tenantId = tenantIdOfApiKey(apiKey);
        if (!tenantId || !cache.keepsKeys) return deps.tenants.authenticate(apiKey);
        return cache.read(tenantId, `key ${hashApiKey(apiKey)}`, () => deps.tenants.authenticate(apiKey));
      };
      return {
        tenants: deps.tenants,
        authenticate,
        rollouts: deps.rollouts,
        webhooks: deps.webhooks,
        videos: withCachedReads(videos, cache, { urlTtlSeconds: options.urlTtlSeconds }),
        uploads: deps.uploads,
        acceptObjectEvent: deps.acceptObjectEvent,
        ready: deps.ready,
      };
    });
    let started = false;
    ready.then(
      () => (started = true),
      // A failed start is reported by whoever started the service; never an unhandled rejection here.
      () => undefined,
    );
    app.decorate('services', ready);
    app.decorate('servicesStarted', () => started);
    // Before the auth hook (registered after this plugin): a route that needs a caller needs the services.
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.access && !started) throw new ServiceStarting('thumbforge is starting (database, migrations, recovery); retry in a moment');
    });
    // A caller's write is seen by its next read on this replica at once, before the database's change
    // notice arrives (other replicas wait for that notice): before the answer goes out, the caller's
    // tenant's cached answers are dropped (every tenant's, for the admin, who may act for any).
    app.addHook('onSend', async (request) => {
      if (!request.routeOptions.config.access || SAFE_METHODS.has(request.method)) return;
      const principal = request.principal;
      // No caller, no write (a refused token): nothing to drop.
      if (principal?.kind === 'tenant') readCache?.changed(principal.tenantId);
      else if (principal?.kind === 'admin') readCache?.changedAll();
    });
  },
  { name: 'services' },
);

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
};

export type AppServices = {
  tenants: TenantLifecycle;
  rollouts: ImageRollouts;
  webhooks: WebhookEndpoints;
  ready(): Promise<boolean>;
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

export default fp(
  async function services(app: FastifyInstance, options: { dependencies: Promise<ServiceDependencies>; urlTtlSeconds: number; maxUploadBytes: number }) {
    const ready = options.dependencies.then((deps) => {
      const videos = createVideoService({
        tenants: deps.tenants,
        catalog: deps.catalog,
        storage: deps.storage,
        startRegeneration: deps.startRegeneration,
        urlTtlSeconds: options.urlTtlSeconds,
        maxUploadBytes: options.maxUploadBytes,
      });
      return { tenants: deps.tenants, rollouts: deps.rollouts, webhooks: deps.webhooks, videos, uploads: deps.uploads, acceptObjectEvent: deps.acceptObjectEvent, ready: deps.ready };
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
  },
  { name: 'services' },
);

// The composition root of the HTTP app: external plugins, then the app's own plugins, then one
// route plugin per resource. It builds the app from the services it is handed; it never starts
// engines, stores or runners itself.
import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import sseModule from '@fastify/sse';
import { validatorCompiler, type ZodTypeProvider } from '@fastify/type-provider-zod';
import { frozenAnswerSerializerCompiler } from './frozen-answer-serializer.js';
import type { Config } from '../config.js';
import problemErrors, { clientErrorHandler } from './plugins/problem-errors.js';
import openapi from './plugins/openapi.js';
import routeProblems from './plugins/route-problems.js';
import services, { type ServiceDependencies } from './plugins/services.js';
import auth from './plugins/auth.js';
import rateLimits from './plugins/rate-limits.js';
import refusedBodies from './plugins/refused-bodies.js';
import httpMetrics, { type HttpMetrics } from './plugins/http-metrics.js';
import healthRoutes from './routes/health/index.js';
import tenantRoutes from './routes/tenants/index.js';
import rolloutRoutes from './routes/rollouts/index.js';
import videoRoutes from './routes/videos/index.js';
import uploadRoutes from './routes/uploads/index.js';
import { directUploadLimit } from './videos/direct-uploads.js';
import thumbnailRoutes from './routes/thumbnails/index.js';
import webhookRoutes from './routes/webhooks/index.js';
import objectEventRoutes from './routes/object-events/index.js';
import metricsRoutes, { type MetricsExposition } from './routes/metrics/index.js';
import webConsole from './plugins/web-console.js';
import { linkOrigins } from './storage/url-signer.js';
import { loggerOptions } from './logger.js';

// The package's CommonJS export is the fastify-plugin-wrapped plugin (so its onRoute hook sees every
// route); its type declarations only name the unwrapped one.
const sse = sseModule as unknown as typeof sseModule.fastifySSE;

export type AppDependencies = {
  config: Config;
  /** The admin token in force (from the config, or generated in the data dir on the local target). */
  adminToken: string;
  /** The services the routes call; may resolve after the app listens (see plugins/services.ts). */
  services: Promise<ServiceDependencies>;
  /** Set on the local target: the secret the object store's webhook URL carries. */
  objectEventSecret?: string;
  /** The service's metrics: where answered requests are counted, and what GET /metrics serves. */
  metrics: HttpMetrics & MetricsExposition;
  logLevel?: string;
  sseHeartbeatMs?: number;
};

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.logLevel),
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    bodyLimit: 64 * 1024,
    // Past the router's 100 characters, a long (percent-encoded) path parameter would get a plain 414
    // from the router; up to this bound it reaches the route's schema, and a problem+json 400.
    routerOptions: { maxParamLength: 1024 },
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(frozenAnswerSerializerCompiler);

  await app.register(httpMetrics, { metrics: deps.metrics });
  await app.register(problemErrors);
  await app.register(routeProblems);
  // Before any route, the API document's and the console's included, so every route is counted.
  await app.register(rateLimits, { perMinute: deps.config.rateLimitPerMinute });
  await app.register(multipart);
  await app.register(sse, { heartbeatInterval: deps.sseHeartbeatMs ?? 15_000 });
  await app.register(openapi);
  await app.register(services, { dependencies: deps.services, urlTtlSeconds: deps.config.urlTtlSeconds, maxUploadBytes: deps.config.maxUploadBytes });
  await app.register(auth, { adminToken: deps.adminToken });
  await app.register(refusedBodies);

  await app.register(healthRoutes);
  await app.register(metricsRoutes, { metrics: deps.metrics });
  await app.register(tenantRoutes, { maxEventStreams: deps.config.maxEventStreams });
  await app.register(rolloutRoutes);
  await app.register(videoRoutes, { maxUploadBytes: deps.config.maxUploadBytes, maxConcurrentUploads: deps.config.maxConcurrentUploads });
  await app.register(uploadRoutes, { maxUploadBytes: directUploadLimit(deps.config.maxUploadBytes) });
  await app.register(thumbnailRoutes);
  await app.register(webhookRoutes);
  if (deps.objectEventSecret) await app.register(objectEventRoutes, { secret: deps.objectEventSecret });
  // The store's address is known from the configuration alone (the local store listens on its fixed port).
  const store = deps.config.target === 'local' ? { endpoint: deps.config.s3Endpoint ?? `http://127.0.0.1:${deps.config.s3Port}` } : { region: deps.config.awsRegion! };
  await app.register(webConsole, { storeOrigins: linkOrigins(store) });
  return app;
}

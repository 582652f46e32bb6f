// The service's configuration: environment variables validated with zod at start. A bad value
// stops the process with a message naming the variable. The service reads its settings only here
// (the setup step's tool paths and the Lambda handler's own environment are outside it).
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseEventsQueueUrl, type EventsQueue } from './domain/events-queue.js';

/** Attempts of one webhook delivery: with the default backoff, the last one comes about a day after the first (README, Webhooks). */
const WEBHOOK_DEFAULT_MAX_ATTEMPTS = 16;

const port = z.coerce.number().int().min(1).max(65_535);
const cron = (fallback: string) =>
  z
    .string()
    .trim()
    .regex(/^[\w*/,?#-]+(\s+[\w*/,?#-]+){4}$/, `must be a cron expression of five fields, such as "${fallback}"`)
    .default(fallback);
const positiveInt = z.coerce.number().int().positive();

/** A browser origin as a CORS rule names it: scheme, host and port, nothing after. */
const isOrigin = (value: string) => {
  try {
    return /^https?:$/.test(new URL(value).protocol) && new URL(value).origin === value;
  } catch {
    return false;
  }
};
const consoleOrigins = z
  .string()
  .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
  .refine((origins) => origins.every(isOrigin), 'must be origins separated by commas, each http(s)://host[:port] with no path (e.g. https://thumbs.example.com)');

/** Where a browser reaches a local service: the listen address, and the loopback names for it. */
function localConsoleOrigins(host: string, port: number): string[] {
  const named = ['127.0.0.1', 'localhost', '0.0.0.0', '::'].includes(host) ? [] : [`http://${host.includes(':') ? `[${host}]` : host}:${port}`];
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, ...named];
}

const envSchema = z
  .object({
    PORT: port.default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    THUMBFORGE_TARGET: z.enum(['local', 'aws']).default('local'),
    THUMBFORGE_DATA_DIR: z.string().min(1).default('./.data'),
    THUMBFORGE_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
    THUMBFORGE_MAX_UPLOAD_BYTES: positiveInt.default(2 * 1024 ** 3),
    THUMBFORGE_MAX_OPEN_UPLOADS: positiveInt.max(10_000).default(16),
    // Below the bucket lifecycle rule's one day (src/stacks/aws-program.ts), which stays the backstop.
    THUMBFORGE_UPLOAD_EXPIRY_SECONDS: positiveInt.max(23 * 3600, 'must stay under the 1-day lifecycle rule that backs it up (at most 82800)').default(12 * 3600),
    THUMBFORGE_MAX_CONCURRENT_OPERATIONS: positiveInt.max(64).default(4),
    THUMBFORGE_URL_TTL_SECONDS: positiveInt.min(60).max(7 * 24 * 3600).default(3600),
    THUMBFORGE_OPERATION_TIMEOUT_SECONDS: positiveInt.default(1800),
    THUMBFORGE_STORAGE_TIMEOUT_SECONDS: positiveInt.max(300).default(10),
    THUMBFORGE_RATE_LIMIT_PER_MINUTE: positiveInt.default(600),
    THUMBFORGE_MAX_CONCURRENT_UPLOADS: positiveInt.max(1000).default(4),
    THUMBFORGE_MAX_EVENT_STREAMS: positiveInt.max(1000).default(10),
    THUMBFORGE_S3_PORT: port.optional(),
    AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1').optional(),
    PULUMI_BACKEND_URL: z.string().regex(/^(s3|file|https?|gs|azblob):\/\//, 'must be a Pulumi backend URL (s3://, file://, https://…)').optional(),
    PULUMI_CONFIG_PASSPHRASE: z.string().min(1).optional(),
    PULUMI_SECRETS_PROVIDER: z.string().regex(/^(passphrase|awskms:\/\/.+)$/, 'must be "passphrase" or an awskms:// key').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    THUMBFORGE_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL').optional(),
    THUMBFORGE_REPLICA_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of letters, digits, ".", "_" and "-"').optional(),
    THUMBFORGE_HEARTBEAT_SECONDS: positiveInt.min(10, 'must be at least 10 (the job engine checks heartbeats no finer)').max(600).default(30),
    THUMBFORGE_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(25, 'must leave time to hand over within 30 s').default(20),
    THUMBFORGE_S3_ENDPOINT: z.string().regex(/^https?:\/\/[^/]+\/?$/, 'must be an http(s)://host:port URL').optional(),
    THUMBFORGE_DRIFT_CHECK_CRON: cron('0 3 * * *'),
    THUMBFORGE_CATALOG_RECONCILE_CRON: cron('17 * * * *'),
    THUMBFORGE_EVENTS_QUEUE_URL: z
      .string()
      .refine((url) => parseEventsQueueUrl(url) !== undefined, 'must be an SQS queue URL, https://sqs.<region>.amazonaws.com/<account>/<name>')
      .optional(),
    // Pulumi Cloud keeps stacks in an organization; a self-managed (s3://) backend calls its only one "organization".
    THUMBFORGE_PULUMI_ORGANIZATION: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be a Pulumi organization name').default('organization'),
    THUMBFORGE_WEBHOOK_MAX_ATTEMPTS: positiveInt.max(30).default(WEBHOOK_DEFAULT_MAX_ATTEMPTS),
    THUMBFORGE_WEBHOOK_RETRY_DELAY_SECONDS: positiveInt.max(10, 'must be at most 10 (the first retry comes within twice this)').default(10),
    THUMBFORGE_WEBHOOK_TIMEOUT_SECONDS: positiveInt.max(60).default(10),
    THUMBFORGE_WEBHOOK_SECRET_KEY: z.string().min(32, 'must be at least 32 characters (a random key, e.g. 32 bytes in base64)').optional(),
    THUMBFORGE_CONSOLE_ORIGIN: consoleOrigins.optional(),
    THUMBFORGE_IMAGE_URI: z.string().regex(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/.+(:|@).+$/, 'must be an ECR image URI with a tag or digest').optional(),
  })
  .superRefine((env, ctx) => {
    if (env.THUMBFORGE_TARGET !== 'aws') return;
    if (!env.AWS_REGION) ctx.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'is required when THUMBFORGE_TARGET=aws' });
    if (!env.PULUMI_BACKEND_URL) ctx.addIssue({ code: 'custom', path: ['PULUMI_BACKEND_URL'], message: 'is required when THUMBFORGE_TARGET=aws (an s3:// state bucket or Pulumi Cloud)' });
    if (!env.THUMBFORGE_ADMIN_TOKEN) ctx.addIssue({ code: 'custom', path: ['THUMBFORGE_ADMIN_TOKEN'], message: 'is required when THUMBFORGE_TARGET=aws' });
    if (!env.THUMBFORGE_EVENTS_QUEUE_URL) {
      ctx.addIssue({ code: 'custom', path: ['THUMBFORGE_EVENTS_QUEUE_URL'], message: 'is required when THUMBFORGE_TARGET=aws (the catalog events queue: the platform stack\'s eventsQueueUrl)' });
    } else if (env.AWS_REGION && parseEventsQueueUrl(env.THUMBFORGE_EVENTS_QUEUE_URL)?.region !== env.AWS_REGION) {
      // EventBridge rules target queues of their own region only.
      ctx.addIssue({ code: 'custom', path: ['THUMBFORGE_EVENTS_QUEUE_URL'], message: 'must be a queue in AWS_REGION' });
    }
    // A task's disk is scratch on AWS: the embedded database would lose every tenant with the task.
    if (!env.THUMBFORGE_DATABASE_URL) ctx.addIssue({ code: 'custom', path: ['THUMBFORGE_DATABASE_URL'], message: 'is required when THUMBFORGE_TARGET=aws (a shared PostgreSQL, e.g. RDS)' });
    // Endpoint signing secrets are encrypted under this key; a task's disk cannot keep a generated one.
    if (!env.THUMBFORGE_WEBHOOK_SECRET_KEY) ctx.addIssue({ code: 'custom', path: ['THUMBFORGE_WEBHOOK_SECRET_KEY'], message: 'is required when THUMBFORGE_TARGET=aws (it encrypts the webhook signing secrets in the database)' });
    if ((env.PULUMI_SECRETS_PROVIDER ?? 'passphrase') === 'passphrase' && !env.PULUMI_CONFIG_PASSPHRASE) {
      ctx.addIssue({ code: 'custom', path: ['PULUMI_CONFIG_PASSPHRASE'], message: 'is required on the aws target unless PULUMI_SECRETS_PROVIDER is awskms://…' });
    }
  });

export type Config = {
  port: number;
  host: string;
  target: 'local' | 'aws';
  dataDir: string;
  adminToken?: string;
  maxUploadBytes: number;
  /** Direct uploads a tenant may hold open at once, across every replica. */
  maxOpenUploads: number;
  /** How long a direct upload stays open; then a job aborts it. */
  uploadExpirySeconds: number;
  maxConcurrentOperations: number;
  urlTtlSeconds: number;
  operationTimeoutSeconds: number;
  /** How long one request may wait on a silent object store before the API answers 503. */
  storageTimeoutSeconds: number;
  /** Requests per minute per caller (tenant key, admin token, or IP on public routes), counted by each replica. */
  rateLimitPerMinute: number;
  /** Streamed uploads (POST /videos) one tenant may have in flight on one replica. */
  maxConcurrentUploads: number;
  /** Event streams (GET /tenants/:id/events) one tenant may hold open on one replica. */
  maxEventStreams: number;
  s3Port: number;
  awsRegion?: string;
  pulumiBackendUrl?: string;
  pulumiPassphrase?: string;
  pulumiSecretsProvider: string;
  imageUri?: string;
  /** The Pulumi organization the platform stack lives in (tenant stacks reference it there). */
  pulumiOrganization: string;
  logLevel: string;
  /** A shared PostgreSQL server; unset means the embedded database (PGlite) under the data dir. */
  databaseUrl?: string;
  replicaId: string;
  heartbeatSeconds: number;
  shutdownGraceSeconds: number;
  /** Local target: an object store already running (the cluster's), instead of starting one. */
  s3Endpoint?: string;
  /** When every tenant's drift check is queued (cron, UTC), once across all replicas. */
  driftCheckCron: string;
  /** When the catalog is compared with every tenant's bucket (cron, UTC), once across all replicas; also at start. */
  catalogReconcileCron: string;
  /** aws target: the queue every tenant bucket's catalog events reach. */
  eventsQueue?: EventsQueue;
  /** Attempts of one webhook delivery, the first included. */
  webhookMaxAttempts: number;
  /** The first retry's base delay: retry n waits 1-2 times this times 2^(n-1), at most 4 h. */
  webhookRetryDelaySeconds: number;
  /** One delivery attempt's bound: connecting, sending and the answer's status line. */
  webhookTimeoutSeconds: number;
  /** Encrypts webhook signing secrets at rest; unset on the local target: generated in the data dir. */
  webhookSecretKey?: string;
  /**
   * The origins the web console is served from: each tenant bucket lets them PUT upload parts and
   * read outputs cross-origin (CORS). Local default: this service's loopback origins; aws: none.
   */
  consoleOrigins: string[];
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || 'environment'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    target: e.THUMBFORGE_TARGET,
    dataDir: resolve(e.THUMBFORGE_DATA_DIR),
    adminToken: e.THUMBFORGE_ADMIN_TOKEN,
    maxUploadBytes: e.THUMBFORGE_MAX_UPLOAD_BYTES,
    maxOpenUploads: e.THUMBFORGE_MAX_OPEN_UPLOADS,
    uploadExpirySeconds: e.THUMBFORGE_UPLOAD_EXPIRY_SECONDS,
    maxConcurrentOperations: e.THUMBFORGE_MAX_CONCURRENT_OPERATIONS,
    urlTtlSeconds: e.THUMBFORGE_URL_TTL_SECONDS,
    operationTimeoutSeconds: e.THUMBFORGE_OPERATION_TIMEOUT_SECONDS,
    storageTimeoutSeconds: e.THUMBFORGE_STORAGE_TIMEOUT_SECONDS,
    rateLimitPerMinute: e.THUMBFORGE_RATE_LIMIT_PER_MINUTE,
    maxConcurrentUploads: e.THUMBFORGE_MAX_CONCURRENT_UPLOADS,
    maxEventStreams: e.THUMBFORGE_MAX_EVENT_STREAMS,
    s3Port: e.THUMBFORGE_S3_PORT ?? e.PORT + 1,
    awsRegion: e.AWS_REGION,
    pulumiBackendUrl: e.PULUMI_BACKEND_URL,
    pulumiPassphrase: e.PULUMI_CONFIG_PASSPHRASE,
    pulumiSecretsProvider: e.PULUMI_SECRETS_PROVIDER ?? 'passphrase',
    imageUri: e.THUMBFORGE_IMAGE_URI,
    pulumiOrganization: e.THUMBFORGE_PULUMI_ORGANIZATION,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.THUMBFORGE_DATABASE_URL,
    replicaId: e.THUMBFORGE_REPLICA_ID ?? `${hostname()}-${process.pid}`,
    heartbeatSeconds: e.THUMBFORGE_HEARTBEAT_SECONDS,
    shutdownGraceSeconds: e.THUMBFORGE_SHUTDOWN_GRACE_SECONDS,
    s3Endpoint: e.THUMBFORGE_S3_ENDPOINT?.replace(/\/$/, ''),
    driftCheckCron: e.THUMBFORGE_DRIFT_CHECK_CRON,
    catalogReconcileCron: e.THUMBFORGE_CATALOG_RECONCILE_CRON,
    eventsQueue: e.THUMBFORGE_EVENTS_QUEUE_URL === undefined ? undefined : parseEventsQueueUrl(e.THUMBFORGE_EVENTS_QUEUE_URL),
    webhookMaxAttempts: e.THUMBFORGE_WEBHOOK_MAX_ATTEMPTS,
    webhookRetryDelaySeconds: e.THUMBFORGE_WEBHOOK_RETRY_DELAY_SECONDS,
    webhookTimeoutSeconds: e.THUMBFORGE_WEBHOOK_TIMEOUT_SECONDS,
    webhookSecretKey: e.THUMBFORGE_WEBHOOK_SECRET_KEY,
    consoleOrigins: e.THUMBFORGE_CONSOLE_ORIGIN ?? (e.THUMBFORGE_TARGET === 'local' ? localConsoleOrigins(e.HOST, e.PORT) : []),
  };
}

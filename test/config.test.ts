// loadConfig: local defaults need nothing, and a missing or malformed aws setting stops the start
// with a ConfigError that names the variable.
import t from 'tap';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.js';

const AWS_ENV = {
  THUMBFORGE_TARGET: 'aws',
  AWS_REGION: 'eu-west-1',
  PULUMI_BACKEND_URL: 's3://acme-thumbforge-state',
  THUMBFORGE_ADMIN_TOKEN: 'a'.repeat(32),
  PULUMI_CONFIG_PASSPHRASE: 'correct horse battery staple',
  THUMBFORGE_DATABASE_URL: 'postgres://thumbforge@db.internal:5432/thumbforge',
  THUMBFORGE_EVENTS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/thumbforge-catalog-events',
  THUMBFORGE_WEBHOOK_SECRET_KEY: 'k'.repeat(44),
};

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

t.test('local defaults', async (t) => {
  const config = loadConfig({});
  t.equal(config.target, 'local');
  t.equal(config.host, '127.0.0.1');
  t.equal(config.port, 3000);
  t.equal(config.s3Port, 3001, 'the local store port follows PORT');
  t.equal(config.dataDir, resolve('./.data'));
  t.equal(config.pulumiSecretsProvider, 'passphrase');
  t.equal(config.adminToken, undefined, 'generated on first start in local mode');
});

t.test('a complete aws environment loads', async (t) => {
  const config = loadConfig(AWS_ENV);
  t.equal(config.target, 'aws');
  t.equal(config.awsRegion, 'eu-west-1');
  t.equal(config.pulumiBackendUrl, 's3://acme-thumbforge-state');
  t.equal(config.imageUri, undefined, 'the platform stack supplies the image');
});

t.test('awskms replaces the passphrase', async (t) => {
  const { PULUMI_CONFIG_PASSPHRASE: _passphrase, ...withoutPassphrase } = AWS_ENV;
  const config = loadConfig({ ...withoutPassphrase, PULUMI_SECRETS_PROVIDER: 'awskms://alias/thumbforge?region=eu-west-1' });
  t.equal(config.pulumiSecretsProvider, 'awskms://alias/thumbforge?region=eu-west-1');
  t.match(configError(withoutPassphrase), /PULUMI_CONFIG_PASSPHRASE: is required on the aws target unless PULUMI_SECRETS_PROVIDER is awskms/);
});

t.test('each required aws setting, when missing, is named', async (t) => {
  for (const variable of ['AWS_REGION', 'PULUMI_BACKEND_URL', 'THUMBFORGE_ADMIN_TOKEN', 'PULUMI_CONFIG_PASSPHRASE', 'THUMBFORGE_DATABASE_URL', 'THUMBFORGE_EVENTS_QUEUE_URL', 'THUMBFORGE_WEBHOOK_SECRET_KEY'] as const) {
    const env: NodeJS.ProcessEnv = { ...AWS_ENV };
    delete env[variable];
    t.match(configError(env), new RegExp(`${variable}: is required`), variable);
  }
  const all = configError({ THUMBFORGE_TARGET: 'aws' });
  for (const variable of ['AWS_REGION', 'PULUMI_BACKEND_URL', 'THUMBFORGE_ADMIN_TOKEN', 'PULUMI_CONFIG_PASSPHRASE', 'THUMBFORGE_DATABASE_URL', 'THUMBFORGE_EVENTS_QUEUE_URL', 'THUMBFORGE_WEBHOOK_SECRET_KEY']) {
    t.match(all, variable, `all missing settings are reported at once: ${variable}`);
  }
});

t.test('malformed aws settings are named with what was expected', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['AWS_REGION', 'Ireland', /AWS_REGION: must be an AWS region/],
    ['PULUMI_BACKEND_URL', 'acme-state', /PULUMI_BACKEND_URL: must be a Pulumi backend URL/],
    ['PULUMI_SECRETS_PROVIDER', 'hashivault://x', /PULUMI_SECRETS_PROVIDER: must be "passphrase" or an awskms/],
    ['THUMBFORGE_IMAGE_URI', 'docker.io/acme/thumbnailer:1', /THUMBFORGE_IMAGE_URI: must be an ECR image URI/],
    ['THUMBFORGE_IMAGE_URI', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/thumbnailer', /THUMBFORGE_IMAGE_URI: must be an ECR image URI with a tag or digest/],
    ['THUMBFORGE_ADMIN_TOKEN', 'short', /THUMBFORGE_ADMIN_TOKEN: must be at least 24 characters/],
    ['THUMBFORGE_TARGET', 'gcp', /THUMBFORGE_TARGET/],
    ['THUMBFORGE_EVENTS_QUEUE_URL', 'arn:aws:sqs:eu-west-1:123456789012:q', /THUMBFORGE_EVENTS_QUEUE_URL: must be an SQS queue URL/],
    ['THUMBFORGE_EVENTS_QUEUE_URL', 'https://sqs.us-east-1.amazonaws.com/123456789012/q', /THUMBFORGE_EVENTS_QUEUE_URL: must be a queue in AWS_REGION/],
    // The failures queue is named `<name>-failures`, and SQS names end at 80 characters.
    ['THUMBFORGE_EVENTS_QUEUE_URL', `https://sqs.eu-west-1.amazonaws.com/123456789012/${'q'.repeat(72)}`, /THUMBFORGE_EVENTS_QUEUE_URL: must be an SQS queue URL/],
  ];
  for (const [variable, value, expected] of cases) {
    t.match(configError({ ...AWS_ENV, [variable]: value }), expected, `${variable}=${value}`);
  }
  t.same(loadConfig(AWS_ENV).eventsQueue, {
    url: AWS_ENV.THUMBFORGE_EVENTS_QUEUE_URL,
    region: 'eu-west-1',
    accountId: '123456789012',
    name: 'thumbforge-catalog-events',
    arn: 'arn:aws:sqs:eu-west-1:123456789012:thumbforge-catalog-events',
  }, 'the events queue and the ARN its URL stands for');
  t.equal(loadConfig({ ...AWS_ENV, THUMBFORGE_EVENTS_QUEUE_URL: `https://sqs.eu-west-1.amazonaws.com/123456789012/${'q'.repeat(71)}` }).eventsQueue?.name.length, 71, 'the longest name that leaves room for its failures queue');
  const uri = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/thumbnailer@sha256:' + 'a'.repeat(64);
  t.equal(loadConfig({ ...AWS_ENV, THUMBFORGE_IMAGE_URI: uri }).imageUri, uri, 'a digest-pinned URI is accepted');
});

t.test('LOG_LEVEL is one of pino levels', async (t) => {
  t.equal(loadConfig({}).logLevel, 'info');
  t.equal(loadConfig({ LOG_LEVEL: 'debug' }).logLevel, 'debug');
  t.match(configError({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
});

t.test('the scale-out settings: defaults, and malformed values named', async (t) => {
  const config = loadConfig({});
  t.equal(config.databaseUrl, undefined, 'the embedded database by default');
  t.equal(config.heartbeatSeconds, 30);
  t.equal(config.shutdownGraceSeconds, 20);
  t.match(config.replicaId, /^.+-\d+$/, 'host and pid');
  t.equal(config.driftCheckCron, '0 3 * * *', 'a drift check daily');
  t.equal(loadConfig({ THUMBFORGE_DRIFT_CHECK_CRON: ' */30 * * * * ' }).driftCheckCron, '*/30 * * * *');
  t.equal(config.catalogReconcileCron, '17 * * * *', 'a catalog reconcile hourly');
  t.equal(loadConfig({ THUMBFORGE_CATALOG_RECONCILE_CRON: '*/5 * * * *' }).catalogReconcileCron, '*/5 * * * *');
  t.equal(config.eventsQueue, undefined, 'no events queue on the local target');
  for (const [variable, value, message] of [
    ['THUMBFORGE_DATABASE_URL', 'mysql://x', /must be a postgres:\/\/ URL/],
    ['THUMBFORGE_HEARTBEAT_SECONDS', '5', /at least 10/],
    ['THUMBFORGE_SHUTDOWN_GRACE_SECONDS', '40', /hand over within 30 s/],
    ['THUMBFORGE_REPLICA_ID', 'a b', /letters, digits/],
    ['THUMBFORGE_S3_ENDPOINT', 'ftp://x', /http\(s\):\/\/host:port/],
    ['THUMBFORGE_DRIFT_CHECK_CRON', 'daily', /cron expression of five fields/],
    ['THUMBFORGE_DRIFT_CHECK_CRON', '0 3 * *', /cron expression of five fields/],
    ['THUMBFORGE_CATALOG_RECONCILE_CRON', 'hourly', /cron expression of five fields, such as "17 \* \* \* \*"/],
  ] as const) {
    t.match(configError({ [variable]: value }), new RegExp(`${variable}: `), variable);
    t.match(configError({ [variable]: value }), message);
  }
});

t.test('the storage timeout: 10 s by default, a positive number of seconds up to 300', async (t) => {
  t.equal(loadConfig({}).storageTimeoutSeconds, 10);
  t.equal(loadConfig({ THUMBFORGE_STORAGE_TIMEOUT_SECONDS: '2' }).storageTimeoutSeconds, 2);
  for (const value of ['0', '-1', '1.5', 'soon', '301']) {
    t.match(configError({ THUMBFORGE_STORAGE_TIMEOUT_SECONDS: value }), /THUMBFORGE_STORAGE_TIMEOUT_SECONDS/, `refuses ${value}`);
  }
});

t.test('the webhook settings: about a day of attempts by default, bounded values, a key of 32+ characters', async (t) => {
  const config = loadConfig({});
  t.same([config.webhookMaxAttempts, config.webhookRetryDelaySeconds, config.webhookTimeoutSeconds, config.webhookSecretKey], [16, 10, 10, undefined], 'defaults; the key is generated in the data dir on the local target');
  const shortened = loadConfig({ THUMBFORGE_WEBHOOK_MAX_ATTEMPTS: '3', THUMBFORGE_WEBHOOK_RETRY_DELAY_SECONDS: '1', THUMBFORGE_WEBHOOK_TIMEOUT_SECONDS: '1', THUMBFORGE_WEBHOOK_SECRET_KEY: 's'.repeat(32) });
  t.same([shortened.webhookMaxAttempts, shortened.webhookRetryDelaySeconds, shortened.webhookTimeoutSeconds, shortened.webhookSecretKey], [3, 1, 1, 's'.repeat(32)]);
  for (const [variable, value, message] of [
    ['THUMBFORGE_WEBHOOK_MAX_ATTEMPTS', '0', /THUMBFORGE_WEBHOOK_MAX_ATTEMPTS/],
    ['THUMBFORGE_WEBHOOK_MAX_ATTEMPTS', '31', /THUMBFORGE_WEBHOOK_MAX_ATTEMPTS/],
    ['THUMBFORGE_WEBHOOK_RETRY_DELAY_SECONDS', '11', /first retry comes within twice this/],
    ['THUMBFORGE_WEBHOOK_TIMEOUT_SECONDS', '0', /THUMBFORGE_WEBHOOK_TIMEOUT_SECONDS/],
    ['THUMBFORGE_WEBHOOK_TIMEOUT_SECONDS', '61', /THUMBFORGE_WEBHOOK_TIMEOUT_SECONDS/],
    ['THUMBFORGE_WEBHOOK_SECRET_KEY', 'short', /THUMBFORGE_WEBHOOK_SECRET_KEY: must be at least 32 characters/],
  ] as const) {
    t.match(configError({ [variable]: value }), message, `${variable}=${value}`);
  }
});

t.test('direct uploads: at most 16 open per tenant and 12 h to finish by default; the expiry stays under the 1-day lifecycle backstop', async (t) => {
  const config = loadConfig({});
  t.equal(config.maxOpenUploads, 16);
  t.equal(config.uploadExpirySeconds, 12 * 3600);
  t.equal(loadConfig({ THUMBFORGE_MAX_OPEN_UPLOADS: '2', THUMBFORGE_UPLOAD_EXPIRY_SECONDS: '1' }).uploadExpirySeconds, 1);
  for (const value of ['0', '-1', 'many', '10001']) t.match(configError({ THUMBFORGE_MAX_OPEN_UPLOADS: value }), /THUMBFORGE_MAX_OPEN_UPLOADS/, `refuses ${value} open uploads`);
  for (const value of ['0', '2.5']) t.match(configError({ THUMBFORGE_UPLOAD_EXPIRY_SECONDS: value }), /THUMBFORGE_UPLOAD_EXPIRY_SECONDS/, `refuses an expiry of ${value}`);
  t.match(configError({ THUMBFORGE_UPLOAD_EXPIRY_SECONDS: String(24 * 3600) }), /under the 1-day lifecycle rule/);
});

t.test('the request limits: a rate per caller and per-tenant caps on uploads and event streams, each a positive integer', async (t) => {
  t.match(loadConfig({}), { rateLimitPerMinute: 600, maxConcurrentUploads: 4, maxEventStreams: 10 });
  t.match(
    loadConfig({ THUMBFORGE_RATE_LIMIT_PER_MINUTE: '30', THUMBFORGE_MAX_CONCURRENT_UPLOADS: '1', THUMBFORGE_MAX_EVENT_STREAMS: '2' }),
    { rateLimitPerMinute: 30, maxConcurrentUploads: 1, maxEventStreams: 2 },
  );
  for (const variable of ['THUMBFORGE_RATE_LIMIT_PER_MINUTE', 'THUMBFORGE_MAX_CONCURRENT_UPLOADS', 'THUMBFORGE_MAX_EVENT_STREAMS']) {
    for (const value of ['0', '-1', '2.5', 'many']) t.match(configError({ [variable]: value }), new RegExp(`${variable}: `), `${variable} refuses ${value}`);
  }
});

t.test("the console's origins: the service's loopback origins by default on the local target, none on aws, or a list of origins", async (t) => {
  t.same(loadConfig({}).consoleOrigins, ['http://127.0.0.1:3000', 'http://localhost:3000']);
  t.same(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }).consoleOrigins, ['http://127.0.0.1:8080', 'http://localhost:8080'], 'a wildcard address names no origin of its own');
  t.same(loadConfig({ HOST: '192.0.2.7' }).consoleOrigins, ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://192.0.2.7:3000']);
  t.same(loadConfig({ HOST: 'fd00::7' }).consoleOrigins, ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[fd00::7]:3000']);
  t.same(loadConfig(AWS_ENV).consoleOrigins, [], 'aws: no cross-origin access unless configured');
  t.same(
    loadConfig({ ...AWS_ENV, THUMBFORGE_CONSOLE_ORIGIN: 'https://thumbs.example.com, http://127.0.0.1:5173' }).consoleOrigins,
    ['https://thumbs.example.com', 'http://127.0.0.1:5173'],
  );
  for (const value of ['thumbs.example.com', 'https://thumbs.example.com/', 'https://thumbs.example.com/console', 'ftp://thumbs.example.com', 'https://a.example, nope']) {
    t.match(configError({ THUMBFORGE_CONSOLE_ORIGIN: value }), /THUMBFORGE_CONSOLE_ORIGIN: must be origins/, `refuses ${value}`);
  }
});

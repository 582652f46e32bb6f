// The aws tenant program and the platform program under Pulumi's runtime mocks: nothing talks to
// AWS. The tests assert the resource graph and its values, not just that the program runs: among
// them that no two entries of the bucket notification overlap (S3 refuses such a configuration),
// that the catalog's events reach the shared queue through a rule its policy admits, and that a
// run whose retries are spent reaches the failures queue, which only that grant lets the role send to.
import t from 'tap';
import * as pulumi from '@pulumi/pulumi';
import { TENANT_ID_MAX_LENGTH, isTenantId } from '../../src/domain/tenant-id.js';
import { settingsToEnv, type ThumbnailSettings } from '../../src/domain/thumbnail-settings.js';
import { THUMBNAIL_PREFIX, VIDEO_PREFIX } from '../../src/domain/video-layout.js';
import { awsTenantProgram, tenantTags, THUMBNAILER_EVENT_AGE_SECONDS } from '../../src/stacks/aws-program.js';
import { resourceDeleteTimeoutSeconds } from '../../src/stacks/tenant-target.js';
import { platformProgram, THUMBNAILER_REPOSITORY } from '../../src/stacks/platform-program.js';
import { THUMBNAILER_TIMEOUT_SECONDS } from '../../src/stacks/thumbnailer-function.js';
import { platformStackName } from '../../src/stacks/platform-stack.js';
import { loadConfig } from '../../src/config.js';
import { awsTargetOf } from '../../src/service.js';
import { projectRoot } from '../../src/domain/toolchain.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_NAME_LIMITS } from '../../src/stacks/tenant-resource-names.js';
import { parseEventsQueueUrl, thumbnailerFailuresQueue } from '../../src/domain/events-queue.js';
import { OBJECT_CREATED_EVENTS, videoTriggerFilters } from '../../src/stacks/trigger-filters.js';

const ACCOUNT = '123456789012';
const IMAGE = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/thumbnailer@sha256:abc`;
const settings: ThumbnailSettings = { widths: [160, 480], format: 'webp', at: 3 };
const EVENTS_QUEUE = parseEventsQueueUrl(`https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/thumbforge-catalog-events`)!;
const FAILURES_QUEUE = thumbnailerFailuresQueue(EVENTS_QUEUE);
const DELETE_TIMEOUT_SECONDS = resourceDeleteTimeoutSeconds(1800);
/** A complete aws configuration, as loadConfig takes it. */
const AWS_CONFIG_ENV = {
  THUMBFORGE_TARGET: 'aws',
  AWS_REGION: 'eu-west-1',
  PULUMI_BACKEND_URL: 'https://api.pulumi.com',
  THUMBFORGE_ADMIN_TOKEN: 'a'.repeat(32),
  THUMBFORGE_DATABASE_URL: 'postgres://db/thumbforge',
  PULUMI_CONFIG_PASSPHRASE: 'p',
  THUMBFORGE_WEBHOOK_SECRET_KEY: 'k'.repeat(44),
  THUMBFORGE_EVENTS_QUEUE_URL: EVENTS_QUEUE.url,
};

type Registered = { type: string; name: string; inputs: Record<string, any>; dependsOn: string[]; deleteTimeout: string };
let registered: Registered[] = [];

pulumi.runtime.setMocks(
  {
    newResource(args) {
      const request = requests.get(`${args.type}::${args.name}`);
      registered.push({ type: args.type, name: args.name, inputs: args.inputs, dependsOn: request?.dependsOn ?? [], deleteTimeout: request?.deleteTimeout ?? '' });
      const arns: Record<string, string> = {
        'aws:s3/bucket:Bucket': `arn:aws:s3:::${args.inputs.bucket}`,
        'aws:lambda/function:Function': `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${args.inputs.name}`,
        'aws:cloudwatch/logGroup:LogGroup': `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${args.inputs.name}`,
        'aws:iam/role:Role': `arn:aws:iam::${ACCOUNT}:role/${args.inputs.name}`,
        'aws:cloudwatch/eventRule:EventRule': `arn:aws:events:eu-west-1:${ACCOUNT}:rule/${args.inputs.name}`,
        'aws:sqs/queue:Queue': `arn:aws:sqs:eu-west-1:${ACCOUNT}:${args.inputs.name}`,
      };
      const state = { ...args.inputs, ...(arns[args.type] ? { arn: arns[args.type] } : {}) };
      if (args.type === 'pulumi:pulumi:StackReference') state.outputs = { imageUri: `${IMAGE}-from-platform` };
      if (args.type === 'awsx:ecr:Repository') state.url = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/thumbnailer`;
      if (args.type === 'awsx:ecr:Image') state.imageUri = IMAGE;
      if (args.type === 'aws:sqs/queue:Queue') state.url = `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/${args.inputs.name}`;
      const id = args.type === 'aws:s3/bucket:Bucket' ? args.inputs.bucket : `${args.name}-id`;
      return { id, state };
    },
    call(args) {
      if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity') {
        return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/deployer`, userId: 'AID', id: ACCOUNT };
      }
      throw new Error(`unexpected call ${args.token}`);
    },
  },
  'thumbforge-tenants',
  'acme',
  false,
);

// The engine orders steps by the dependency URNs in each registration request, and bounds each
// step by its custom timeouts, which the mocks' newResource does not see: record them from the
// request as the mock monitor receives it.
type RegisterRequest = { getType(): string; getName(): string; getDependenciesList(): string[]; getCustomtimeouts(): { getDelete(): string } | undefined };
const requests = new Map<string, { dependsOn: string[]; deleteTimeout: string }>();
const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(request: RegisterRequest, callback: unknown): void };
const registerResource = monitor.registerResource.bind(monitor);
monitor.registerResource = (request, callback) => {
  requests.set(`${request.getType()}::${request.getName()}`, { dependsOn: request.getDependenciesList(), deleteTimeout: request.getCustomtimeouts()?.getDelete() ?? '' });
  registerResource(request, callback);
};

const value = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply(resolve));

async function run(tenantId: string, region = 'eu-west-1', image: { uri: string } | { platformStack: string } = { uri: IMAGE }, consoleOrigins: string[] = []) {
  registered = [];
  const outputs = await awsTenantProgram({
    tenantId,
    settings,
    region,
    image,
    eventsQueueArn: EVENTS_QUEUE.arn,
    failuresQueueArn: FAILURES_QUEUE.arn,
    deleteTimeoutSeconds: DELETE_TIMEOUT_SECONDS,
    consoleOrigins,
  })();
  const resolved = Object.fromEntries(await Promise.all(Object.entries(outputs).map(async ([key, output]) => [key, await value(output)])));
  // Registrations no output depends on (the notification is last in line) may still be on their way
  // to the mocks: wait for the runtime's RPC queue to drain, as it does itself before disconnecting.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const one = (type: string) => {
    const found = registered.filter((resource) => resource.type === type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0]!;
  };
  return { outputs: resolved, one, registered };
}

t.test('exactly the tenant resources, with their protective settings', async (t) => {
  const { one, registered, outputs } = await run('acme');
  t.same(
    registered.map((resource) => resource.type).sort(),
    [
      'aws:cloudwatch/eventRule:EventRule',
      'aws:cloudwatch/eventTarget:EventTarget',
      'aws:cloudwatch/logGroup:LogGroup',
      'aws:iam/role:Role',
      'aws:iam/rolePolicy:RolePolicy',
      'aws:lambda/function:Function',
      'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig',
      'aws:lambda/permission:Permission',
      'aws:s3/bucket:Bucket',
      'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
      'aws:s3/bucketNotification:BucketNotification',
      'aws:s3/bucketOwnershipControls:BucketOwnershipControls',
      'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
      'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    ],
    'no managed-policy attachments, no event subscription components, no image build',
  );
  const bucket = one('aws:s3/bucket:Bucket').inputs.bucket;
  t.equal(bucket, `acme-${ACCOUNT}-eu-west-1`);
  t.match(one('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock').inputs, {
    bucket,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  t.same(one('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration').inputs.rules[0].applyServerSideEncryptionByDefault, { sseAlgorithm: 'AES256' });
  t.same(one('aws:s3/bucketOwnershipControls:BucketOwnershipControls').inputs.rule, { objectOwnership: 'BucketOwnerEnforced' });
  const lifecycle = one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').inputs.rules[0];
  t.match(lifecycle, { status: 'Enabled', abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } });
  t.ok(one('aws:cloudwatch/logGroup:LogGroup').inputs.retentionInDays > 0, 'logs expire');
  t.same(outputs, {
    bucket,
    bucketArn: `arn:aws:s3:::${bucket}`,
    functionName: 'thumbforge-acme',
    functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:thumbforge-acme`,
    region: 'eu-west-1',
  });
});

t.test("with the console's origins configured, the bucket lets exactly them PUT parts and read outputs, with the ETag exposed", async (t) => {
  const origins = ['https://thumbs.example.com', 'http://127.0.0.1:5173'];
  const { one, registered } = await run('acme', 'eu-west-1', { uri: IMAGE }, origins);
  const cors = one('aws:s3/bucketCorsConfiguration:BucketCorsConfiguration').inputs;
  t.equal(cors.bucket, `acme-${ACCOUNT}-eu-west-1`, "the tenant's own bucket");
  t.same(cors.corsRules, [{ id: 'console', allowedOrigins: origins, allowedMethods: ['GET', 'HEAD', 'PUT'], allowedHeaders: ['*'], exposeHeaders: ['ETag'], maxAgeSeconds: 3600 }]);
  t.equal(registered.length, 15, 'one resource more than without origins');

  const config = loadConfig({ ...AWS_CONFIG_ENV, THUMBFORGE_CONSOLE_ORIGIN: origins.join(',') });
  t.same(awsTargetOf(config).consoleOrigins, origins, 'the service hands THUMBFORGE_CONSOLE_ORIGIN to the tenant program');
  t.same(awsTargetOf(loadConfig(AWS_CONFIG_ENV)).consoleOrigins, [], 'unset: none');
});

t.test('the role may read videos, write thumbnails of its own bucket, read back its run records, log to its own group and report to the failures queue, nothing more', async (t) => {
  const { one } = await run('acme');
  const bucketArn = `arn:aws:s3:::acme-${ACCOUNT}-eu-west-1`;
  const logGroupArn = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/lambda/thumbforge-acme`;
  const assume = JSON.parse(one('aws:iam/role:Role').inputs.assumeRolePolicy);
  t.same(assume.Statement.map((s: any) => s.Principal), [{ Service: 'lambda.amazonaws.com' }]);
  const policy = JSON.parse(one('aws:iam/rolePolicy:RolePolicy').inputs.policy);
  const statements: Array<{ Effect: string; Action: string[]; Resource: string[] }> = policy.Statement;
  t.ok(statements.every((s) => s.Effect === 'Allow'));
  const actions = statements.flatMap((s) => s.Action);
  t.notOk(actions.some((action) => action.includes('*')), 'no wildcard action');
  const reads = statements.filter((s) => s.Action.includes('s3:GetObject')).flatMap((s) => s.Resource);
  t.notOk(reads.includes(`${bucketArn}/${THUMBNAIL_PREFIX}*`), 'no read of the thumbnails themselves');
  t.same(
    statements.map((s) => [s.Action, s.Resource]),
    [
      [['s3:GetObject'], [`${bucketArn}/${VIDEO_PREFIX}*`]],
      [['s3:PutObject'], [`${bucketArn}/${THUMBNAIL_PREFIX}*`]],
      [['s3:GetObject'], [`${bucketArn}/${THUMBNAIL_PREFIX}*/meta.json`, `${bucketArn}/${THUMBNAIL_PREFIX}*/storyboard.json`]],
      [['logs:CreateLogStream', 'logs:PutLogEvents'], [`${logGroupArn}:*`]],
      [['sqs:SendMessage'], [FAILURES_QUEUE.arn]],
    ],
    'each grant names only the bucket prefix, log group or queue it needs',
  );
  const sends = statements.filter((s) => s.Action.some((action) => action.startsWith('sqs:')));
  t.same(sends.flatMap((s) => s.Resource), [`arn:aws:sqs:eu-west-1:${ACCOUNT}:thumbforge-catalog-events-failures`], 'SendMessage on exactly the failures queue');
  t.notOk(statements.some((s) => s.Resource.includes(EVENTS_QUEUE.arn)), 'never on the catalog events queue, whose S3 events the catalog trusts');
});

t.test('the function, its invoke permission and the notification that depends on it', async (t) => {
  const { one } = await run('acme');
  const fn = one('aws:lambda/function:Function').inputs;
  t.match(fn, { name: 'thumbforge-acme', packageType: 'Image', imageUri: IMAGE, memorySize: 2048, timeout: 900 });
  t.same(fn.environment.variables, settingsToEnv(settings), 'the tenant settings reach the function');
  t.equal(fn.role, `arn:aws:iam::${ACCOUNT}:role/thumbforge-acme-fn`);

  const permission = one('aws:lambda/permission:Permission').inputs;
  t.same(
    { action: permission.action, function: permission.function, principal: permission.principal, sourceArn: permission.sourceArn, sourceAccount: permission.sourceAccount },
    { action: 'lambda:InvokeFunction', function: 'thumbforge-acme', principal: 's3.amazonaws.com', sourceArn: `arn:aws:s3:::acme-${ACCOUNT}-eu-west-1`, sourceAccount: ACCOUNT },
  );

  const notification = one('aws:s3/bucketNotification:BucketNotification').inputs;
  t.same(
    notification.lambdaFunctions.map((entry: any) => ({ prefix: entry.filterPrefix, suffix: entry.filterSuffix })),
    videoTriggerFilters(),
    'prefix videos/ and every video suffix, the same filters the local trigger registers',
  );
  t.same(videoTriggerFilters().map((filter) => filter.suffix), ['.mp4', '.mov', '.m4v', '.webm', '.mkv', '.avi']);
  t.ok(notification.lambdaFunctions.every((entry: any) => entry.lambdaFunctionArn === `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:thumbforge-acme`), 'every entry invokes this tenant\'s function');
  t.ok(notification.lambdaFunctions.every((entry: any) => JSON.stringify(entry.events) === JSON.stringify(OBJECT_CREATED_EVENTS)));
  const dependsOn = one('aws:s3/bucketNotification:BucketNotification').dependsOn;
  t.ok(dependsOn.some((urn) => urn.endsWith('::aws:lambda/permission:Permission::function-invoke-from-bucket')), 'the engine creates the notification after the permission');
  t.ok(one('aws:lambda/function:Function').dependsOn.some((urn) => urn.endsWith('::aws:iam/rolePolicy:RolePolicy::function-policy')), 'and the function after its role policy');
});

type NotificationEntry = { events: string[]; filterPrefix?: string; filterSuffix?: string };

/** S3's rule: two entries overlap when they share an event type and one key could match both filters. */
function overlap(a: NotificationEntry, b: NotificationEntry): boolean {
  const covers = (pattern: string, event: string) => (pattern.endsWith('*') ? event.startsWith(pattern.slice(0, -1)) : pattern === event);
  const shareEvent = a.events.some((x) => b.events.some((y) => covers(x, y) || covers(y, x)));
  const [pa, pb, sa, sb] = [a.filterPrefix ?? '', b.filterPrefix ?? '', a.filterSuffix ?? '', b.filterSuffix ?? ''];
  return shareEvent && (pa.startsWith(pb) || pb.startsWith(pa)) && (sa.endsWith(sb) || sb.endsWith(sa));
}

t.test('the overlap check itself tells overlapping entries from separate ones', async (t) => {
  const videos = { events: ['s3:ObjectCreated:*'], filterPrefix: 'videos/', filterSuffix: '.mp4' };
  t.ok(overlap(videos, { events: ['s3:ObjectCreated:Put'], filterPrefix: 'videos/' }), 'a queue entry for creations under videos/ overlaps the trigger');
  t.ok(overlap(videos, { events: ['s3:ObjectCreated:*'], filterPrefix: 'vid' }), 'a shorter prefix overlaps');
  t.notOk(overlap(videos, { events: ['s3:ObjectRemoved:*'], filterPrefix: 'videos/' }), 'another event type does not');
  t.notOk(overlap(videos, { events: ['s3:ObjectCreated:*'], filterPrefix: 'thumbnails/' }), 'a disjoint prefix does not');
  t.notOk(overlap(videos, { events: ['s3:ObjectCreated:*'], filterPrefix: 'videos/', filterSuffix: '.mov' }), 'another suffix does not');
});

t.test('the catalog events: EventBridge delivery on, no overlapping notification entries, a rule for this bucket targeting the queue', async (t) => {
  const { one } = await run('acme');
  const bucket = `acme-${ACCOUNT}-eu-west-1`;
  const notification = one('aws:s3/bucketNotification:BucketNotification').inputs;
  t.equal(notification.eventbridge, true, 'S3 sends the bucket\'s events to EventBridge');
  const entries: NotificationEntry[] = [...(notification.lambdaFunctions ?? []), ...(notification.queues ?? []), ...(notification.topics ?? [])];
  t.ok(entries.length >= 6);
  for (const [i, a] of entries.entries()) {
    for (const b of entries.slice(i + 1)) t.notOk(overlap(a, b), `${a.filterPrefix}*${a.filterSuffix} and ${b.filterPrefix}*${b.filterSuffix} do not overlap`);
  }
  t.notOk(notification.queues, 'the queue is no notification entry');

  const rule = one('aws:cloudwatch/eventRule:EventRule').inputs;
  t.equal(rule.name, 'thumbforge-catalog-acme');
  t.ok(rule.name.startsWith('thumbforge-catalog-'), 'named inside the prefix the queue policy admits');
  t.same(JSON.parse(rule.eventPattern), {
    source: ['aws.s3'],
    'detail-type': ['Object Created', 'Object Deleted'],
    detail: { bucket: { name: [bucket] }, object: { key: [{ prefix: VIDEO_PREFIX }, { prefix: THUMBNAIL_PREFIX }] } },
  }, "this bucket's creations and deletions under videos/ and thumbnails/ only");
  const target = one('aws:cloudwatch/eventTarget:EventTarget').inputs;
  t.same({ rule: target.rule, arn: target.arn }, { rule: 'thumbforge-catalog-acme', arn: EVENTS_QUEUE.arn }, 'the rule targets the shared queue');
});

t.test('a run whose retries are spent, or that waited too long, is sent to the failures queue', async (t) => {
  const { one } = await run('acme');
  const config = one('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig');
  t.equal(config.inputs.functionName, 'thumbforge-acme', "this tenant's function");
  t.notOk(config.inputs.qualifier, 'unqualified: the function as S3 and the regenerations invoke it ($LATEST)');
  t.same(config.inputs.destinationConfig, { onFailure: { destination: `arn:aws:sqs:eu-west-1:${ACCOUNT}:thumbforge-catalog-events-failures` } }, 'on failure only, to the failures queue');
  t.not(config.inputs.destinationConfig.onFailure.destination, EVENTS_QUEUE.arn, 'not the catalog events queue');
  t.equal(config.inputs.maximumRetryAttempts, 2, "Lambda's default, stated");
  t.equal(config.inputs.maximumEventAgeInSeconds, 21600, "Lambda's longest, 6 hours");
  t.ok(THUMBNAILER_EVENT_AGE_SECONDS >= 3 * THUMBNAILER_TIMEOUT_SECONDS + 3 * 60, 'longer than every attempt at its timeout and the waits between: the age never cuts retries short');
  t.ok(config.dependsOn.some((urn) => urn.endsWith('::aws:iam/rolePolicy:RolePolicy::function-policy')), 'saved after the role may send to the queue (Lambda checks)');
  t.ok(
    one('aws:s3/bucketNotification:BucketNotification').dependsOn.some((urn) => urn.endsWith('::aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig::function-async-invocations')),
    'no upload triggers a run before a failed one has somewhere to go',
  );
});

t.test('every taggable resource carries the app and tenant tags', async (t) => {
  const { registered } = await run('acme');
  // The S3 sub-resources (public access block, encryption, ownership, lifecycle, notification), the
  // inline role policy, the invoke permission, the rule's target and the function's asynchronous
  // invocation settings have no tags in AWS.
  const taggable = ['aws:s3/bucket:Bucket', 'aws:cloudwatch/logGroup:LogGroup', 'aws:iam/role:Role', 'aws:lambda/function:Function', 'aws:cloudwatch/eventRule:EventRule'];
  for (const type of taggable) {
    const resource = registered.find((candidate) => candidate.type === type);
    t.same(resource?.inputs.tags, { app: 'thumbforge', tenant: 'acme' }, `${type} is tagged`);
  }
  t.same(tenantTags('acme'), { app: 'thumbforge', tenant: 'acme' });
  const untagged = registered.filter((resource) => !taggable.includes(resource.type)).map((resource) => resource.type);
  t.ok(untagged.every((type) => /^aws:(s3\/bucket[A-Z]|iam\/rolePolicy|lambda\/permission|lambda\/functionEventInvokeConfig|cloudwatch\/eventTarget)/.test(type)), `the rest cannot carry tags: ${untagged.join(', ')}`);
});

t.test('the function logs JSON, filtered by level', async (t) => {
  const { one } = await run('acme');
  t.match(one('aws:lambda/function:Function').inputs.loggingConfig, { logFormat: 'JSON', applicationLogLevel: 'INFO', systemLogLevel: 'WARN', logGroup: '/aws/lambda/thumbforge-acme' });
});

t.test('the bucket delete (which empties the bucket) is bounded below the operation timeout', async (t) => {
  const { one } = await run('acme');
  t.equal(one('aws:s3/bucket:Bucket').deleteTimeout, `${DELETE_TIMEOUT_SECONDS}s`);
  t.equal(resourceDeleteTimeoutSeconds(1800), 1350, 'three quarters of the default 30 min operation timeout');
  t.equal(resourceDeleteTimeoutSeconds(30), 60, 'never below a minute');
  t.ok(resourceDeleteTimeoutSeconds(3600) < 3600);
});

t.test('an image from the platform stack is referenced, not built', async (t) => {
  const { one, registered } = await run('acme', 'eu-west-1', { platformStack: 'organization/thumbforge-platform/platform' });
  t.equal(one('pulumi:pulumi:StackReference').name, 'organization/thumbforge-platform/platform');
  t.equal(one('aws:lambda/function:Function').inputs.imageUri, `${IMAGE}-from-platform`);
  t.notOk(registered.some((resource) => resource.type.startsWith('awsx:ecr')), 'no image build per tenant');
});

t.test('every generated name stays within AWS limits for the longest tenant id', async (t) => {
  const longest = `a${'b'.repeat(TENANT_ID_MAX_LENGTH - 2)}c`;
  t.ok(isTenantId(longest) && longest.length === TENANT_ID_MAX_LENGTH);
  const { one } = await run(longest, 'ap-southeast-4');
  const bucket = one('aws:s3/bucket:Bucket').inputs.bucket as string;
  t.ok(bucket.length <= AWS_NAME_LIMITS.bucket, `bucket ${bucket.length}`);
  t.match(bucket, /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, 'a valid bucket name');
  t.ok(one('aws:lambda/function:Function').inputs.name.length <= AWS_NAME_LIMITS.function);
  t.ok(one('aws:iam/role:Role').inputs.name.length <= AWS_NAME_LIMITS.role);
  t.ok(one('aws:iam/rolePolicy:RolePolicy').inputs.name.length <= AWS_NAME_LIMITS.policy);
  t.ok(one('aws:cloudwatch/logGroup:LogGroup').inputs.name.length <= AWS_NAME_LIMITS.logGroup);
  t.ok(one('aws:cloudwatch/eventRule:EventRule').inputs.name.length <= AWS_NAME_LIMITS.rule);
});

t.test('the platform program builds the thumbnailer image once, from the repository root with src/lambda-image/Dockerfile', async (t) => {
  registered = [];
  const outputs = await platformProgram({ eventsQueue: EVENTS_QUEUE })();
  t.equal(await value(outputs.imageUri as pulumi.Output<string>), IMAGE);
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  t.same(registered.map((resource) => resource.type).sort(), ['aws:sqs/queue:Queue', 'aws:sqs/queue:Queue', 'aws:sqs/queue:Queue', 'aws:sqs/queuePolicy:QueuePolicy', 'aws:sqs/queuePolicy:QueuePolicy', 'awsx:ecr:Image', 'awsx:ecr:Repository']);
  const image = registered.find((resource) => resource.type === 'awsx:ecr:Image')!.inputs;
  t.equal(image.context, projectRoot, 'the repository root, where dist/ is');
  t.equal(image.dockerfile, join(projectRoot, 'src', 'lambda-image', 'Dockerfile'));
  t.ok(existsSync(image.dockerfile), 'the Dockerfile is there');
  t.equal(image.repositoryUrl, `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/thumbnailer`);
});

t.test('the platform program owns the catalog events queue: encrypted, with a dead letter, sendable only by the tenant rules', async (t) => {
  registered = [];
  const outputs = await platformProgram({ eventsQueue: EVENTS_QUEUE })();
  t.equal(await value(outputs.eventsQueueUrl as pulumi.Output<string>), EVENTS_QUEUE.url, 'its URL is the configured one');
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const queues = registered.filter((resource) => resource.type === 'aws:sqs/queue:Queue');
  const queue = queues.find((resource) => resource.inputs.name === 'thumbforge-catalog-events')!.inputs;
  const dead = queues.find((resource) => resource.inputs.name === 'thumbforge-catalog-events-dead')!.inputs;
  t.ok(queue && dead);
  t.equal(queue.sqsManagedSseEnabled, true, 'SSE-SQS: EventBridge can send to it (it cannot with the AWS-managed KMS key)');
  t.equal(dead.sqsManagedSseEnabled, true);
  t.match(JSON.parse(queue.redrivePolicy), { deadLetterTargetArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:thumbforge-catalog-events-dead`, maxReceiveCount: Number });
  t.equal(queue.receiveWaitTimeSeconds, 20, 'long polls');

  const policyResource = registered.find((resource) => resource.type === 'aws:sqs/queuePolicy:QueuePolicy' && resource.inputs.queueUrl === EVENTS_QUEUE.url)!.inputs;
  const policy = JSON.parse(policyResource.policy);
  const allow = policy.Statement.filter((statement: any) => statement.Effect === 'Allow');
  t.same(allow, [
    {
      Sid: 'TenantCatalogRules',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: EVENTS_QUEUE.arn,
      Condition: {
        ArnLike: { 'aws:SourceArn': `arn:aws:events:eu-west-1:${ACCOUNT}:rule/thumbforge-catalog-*` },
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
      },
    },
  ], 'only EventBridge, only SendMessage, only from the tenant rules of this account and region');
  t.match(policy.Statement.find((statement: any) => statement.Effect === 'Deny'), { Condition: { Bool: { 'aws:SecureTransport': 'false' } } }, 'TLS only');

  // The rule a tenant stack makes falls inside the policy's condition.
  const { one } = await run('acme');
  const ruleArn = `arn:aws:events:eu-west-1:${ACCOUNT}:rule/${one('aws:cloudwatch/eventRule:EventRule').inputs.name}`;
  const pattern = allow[0].Condition.ArnLike['aws:SourceArn'] as string;
  t.ok(ruleArn.startsWith(pattern.slice(0, -1)), `${ruleArn} matches ${pattern}`);
});

t.test('the platform program owns the failures queue too: like the events queue, with no principal but the tenant roles\' own grants', async (t) => {
  registered = [];
  await value((await platformProgram({ eventsQueue: EVENTS_QUEUE })()).eventsQueueUrl as pulumi.Output<string>);
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const queues = registered.filter((resource) => resource.type === 'aws:sqs/queue:Queue');
  const events = queues.find((resource) => resource.inputs.name === EVENTS_QUEUE.name)!.inputs;
  const failures = queues.find((resource) => resource.inputs.name === 'thumbforge-catalog-events-failures')?.inputs;
  t.ok(failures, 'named after the events queue, as the tenant program names it');
  t.equal(failures!.name, FAILURES_QUEUE.name);
  t.equal(failures!.sqsManagedSseEnabled, true, 'SSE-SQS: a Lambda destination sends to it with no KMS grant');
  for (const setting of ['messageRetentionSeconds', 'visibilityTimeoutSeconds', 'receiveWaitTimeSeconds', 'redrivePolicy'] as const) {
    t.same(failures![setting], events[setting], `${setting} as the events queue's (the same consumer loop reads it)`);
  }
  t.match(JSON.parse(failures!.redrivePolicy), { deadLetterTargetArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:thumbforge-catalog-events-dead` }, 'the same dead letter');

  const policyResource = registered.find((resource) => resource.type === 'aws:sqs/queuePolicy:QueuePolicy' && resource.inputs.queueUrl === FAILURES_QUEUE.url);
  t.ok(policyResource, 'its policy is on its own URL');
  const policy = JSON.parse(policyResource!.inputs.policy);
  t.same(policy.Statement, [
    { Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: FAILURES_QUEUE.arn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
  ], 'TLS only, and no Allow: within the account the role\'s own grant (SendMessage on this ARN) is what lets a function send');
});

t.test('the image repository has the name the service policy grants, and never loses an image a tenant references', async (t) => {
  registered = [];
  await value((await platformProgram({ eventsQueue: EVENTS_QUEUE })()).imageUri as pulumi.Output<string>);
  const repository = registered.find((resource) => resource.type === 'awsx:ecr:Repository')!.inputs;
  t.equal(repository.name, THUMBNAILER_REPOSITORY);
  // docs/aws.md fills IMAGE_REPOSITORY in docs/service-iam-policy.json with this sed expression.
  const guide = readFileSync(join(projectRoot, 'docs', 'aws.md'), 'utf8');
  t.match(guide, `s/IMAGE_REPOSITORY/${THUMBNAILER_REPOSITORY}/g`, 'the policy the guide builds names this repository');
  t.equal(repository.imageTagMutability, 'IMMUTABLE', 'a pushed tag never moves to another image');
  t.same(repository.lifecyclePolicy, { skip: true }, 'no lifecycle policy expires images');
  t.equal(repository.forceDelete, false, 'deleting the stack does not delete the images in it');
});

t.test('the platform stack is named in the configured Pulumi organization', async (t) => {
  t.equal(platformStackName('organization'), 'organization/thumbforge-platform/platform', 'a self-managed backend');
  t.equal(platformStackName('acme-corp'), 'acme-corp/thumbforge-platform/platform', 'Pulumi Cloud');
  const config = loadConfig({ ...AWS_CONFIG_ENV, THUMBFORGE_PULUMI_ORGANIZATION: 'acme-corp' });
  t.same(awsTargetOf(config).image, { platformStack: 'acme-corp/thumbforge-platform/platform' }, 'tenant stacks reference it there');
  t.throws(() => loadConfig({ THUMBFORGE_PULUMI_ORGANIZATION: 'no spaces' }), /THUMBFORGE_PULUMI_ORGANIZATION/);
});

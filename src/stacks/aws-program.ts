// The aws target's tenant program: a private, encrypted bucket, a least-privilege role, a log
// group, the image-based thumbnailer Lambda, its asynchronous-invocation settings (retries, event
// age, the failure destination), its S3 invoke permission, the bucket notification, the console's
// CORS rule (when the service names the console's origins), and the EventBridge rule that sends
// the bucket's catalog events to the shared queue.
// It never builds an image (the platform stack does) and never uses bucket.onObjectCreated,
// which attaches broad managed policies; every grant names this tenant's bucket prefixes, its log
// group or the failures queue only.
//
// Catalog events and the overlap rule: S3 refuses a notification configuration whose entries
// overlap (a shared event type and prefix/suffix filters that could match the same key), and the
// Lambda entries already take s3:ObjectCreated:* on `videos/<suffix>`. A queue entry for
// creations on `videos/` would overlap them. So the queue is not a notification entry: the
// notification also turns on EventBridge delivery (`eventbridge: true`, which S3 sends besides
// the entries and never checks against them), and a rule per tenant matches this bucket's
// "Object Created" and "Object Deleted" events under `videos/` and `thumbnails/` and targets the
// one queue the platform stack owns. That queue's policy (src/stacks/platform-program.ts) lets
// EventBridge send only from rules named CATALOG_RULE_PREFIX* in this account and region. The
// Lambda keeps its direct S3 trigger and the S3 event shape its handler reads.
//
// The failure destination: an invocation (S3's, or a regeneration's) whose retries are spent, or
// that waited too long, is sent as Lambda's invocation record to the platform's thumbnailer
// failures queue, from which the catalog marks the video failed. Lambda sends it with the
// function's role, so the role may send to that queue, and to nothing else. Not to the catalog
// events queue: this role runs ffmpeg on whatever a tenant uploads, and a role that may send there
// could hand the catalog S3 events for any tenant's bucket (a deletion the catalog acts on). On the
// failures queue the worst a forged record can do is fail a pending video whose key it knows.
import * as pulumi from '@pulumi/pulumi';
import * as aws from '@pulumi/aws';
import { storyboardIndexKey, THUMBNAIL_PREFIX, thumbnailMetaKey, VIDEO_PREFIX } from '../domain/video-layout.js';
import { settingsToEnv, type ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { TenantOutputs } from './tenant-outputs.js';
import type { AwsTarget } from './tenant-target.js';
import { bucketName, catalogRuleName, functionName, logGroupName, roleName } from './tenant-resource-names.js';
import { OBJECT_CREATED_EVENTS, videoTriggerFilters } from './trigger-filters.js';
import { THUMBNAILER_MEMORY_MB, THUMBNAILER_TIMEOUT_SECONDS } from './thumbnailer-function.js';
import { PLATFORM_IMAGE_OUTPUT } from './platform-program.js';
import { CONSOLE_CORS_EXPOSED, CONSOLE_CORS_HEADERS, CONSOLE_CORS_MAX_AGE_SECONDS, CONSOLE_CORS_METHODS } from './bucket-cors.js';

export const LOG_RETENTION_DAYS = 14;
/** Multipart uploads a client abandoned stop costing storage after this many days. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 1;

export type AwsTenantProgramInput = Pick<AwsTarget, 'image' | 'deleteTimeoutSeconds'> & {
  tenantId: string;
  settings: ThumbnailSettings;
  region: string;
  eventsQueueArn: string;
  /** The platform's thumbnailer failures queue (thumbnailerFailuresQueue in src/domain/events-queue.ts). */
  failuresQueueArn: string;
  /** THUMBFORGE_CONSOLE_ORIGIN: none, no CORS rule (API clients outside a browser need none). */
  consoleOrigins?: string[];
};

/** The outputs a thumbnailer run reads back, as IAM patterns (any video id): meta.json and storyboard.json. */
const RUN_RECORD_PATTERNS = [thumbnailMetaKey('*'), storyboardIndexKey('*')];

/** Lambda's default, stated: a run that throws is tried twice more (a minute, then two, apart), then its record goes to the failure destination. */
export const THUMBNAILER_RETRY_ATTEMPTS = 2;
/**
 * Lambda's longest. The age only ends an event Lambda could not run in time (throttled by the
 * account's concurrency, a backlog of uploads): waiting then is what lets the video succeed, and a
 * run that keeps failing ends by its retries (3 × the timeout and 3 minutes of waits, 48 minutes)
 * well before it, with its error. Shorter than that span, the age would cut retries short.
 */
export const THUMBNAILER_EVENT_AGE_SECONDS = 6 * 3600;

/** The EventBridge event types S3 sends for the catalog's changes. */
export const CATALOG_EVENT_TYPES = ['Object Created', 'Object Deleted'];

/** The tags every taggable resource of a tenant carries: which app made it, for which tenant (cost reports, clean-up). */
export function tenantTags(tenantId: string): Record<string, string> {
  return { app: 'thumbforge', tenant: tenantId };
}

function imageUri(image: AwsTarget['image']): pulumi.Input<string> {
  return 'uri' in image ? image.uri : new pulumi.StackReference(image.platformStack).requireOutput(PLATFORM_IMAGE_OUTPUT).apply(String);
}

export function awsTenantProgram({ tenantId, settings, region, image, eventsQueueArn, failuresQueueArn, deleteTimeoutSeconds, consoleOrigins = [] }: AwsTenantProgramInput) {
  return async (): Promise<{ [K in keyof TenantOutputs]: pulumi.Output<string> }> => {
    const { accountId } = await aws.getCallerIdentity();

    const tags = tenantTags(tenantId);

    // forceDestroy empties the bucket inside the provider's delete, which a cancelled engine waits
    // for: its timeout keeps a bucket of millions of objects from outliving the operation.
    const bucket = new aws.s3.Bucket(
      'bucket',
      { bucket: bucketName(tenantId, { accountId, region }), forceDestroy: true, tags },
      { customTimeouts: { delete: `${deleteTimeoutSeconds}s` } },
    );
    new aws.s3.BucketPublicAccessBlock('bucket-public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new aws.s3.BucketServerSideEncryptionConfiguration('bucket-encryption', {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    });
    new aws.s3.BucketOwnershipControls('bucket-ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new aws.s3.BucketLifecycleConfiguration('bucket-lifecycle', {
      bucket: bucket.id,
      rules: [
        {
          id: 'abort-incomplete-uploads',
          status: 'Enabled',
          filter: {},
          abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_UPLOAD_DAYS },
        },
      ],
    });
    if (consoleOrigins.length > 0) {
      // The console in a browser PUTs direct-upload parts and reads the storyboard index on the
      // bucket's own origin; its presigned URLs carry the authority, the rule only admits the origin.
      new aws.s3.BucketCorsConfiguration('bucket-cors', {
        bucket: bucket.id,
        corsRules: [
          {
            id: 'console',
            allowedOrigins: consoleOrigins,
            allowedMethods: CONSOLE_CORS_METHODS,
            allowedHeaders: CONSOLE_CORS_HEADERS,
            exposeHeaders: CONSOLE_CORS_EXPOSED,
            maxAgeSeconds: CONSOLE_CORS_MAX_AGE_SECONDS,
          },
        ],
      });
    }

    const logGroup = new aws.cloudwatch.LogGroup('function-logs', { name: logGroupName(tenantId), retentionInDays: LOG_RETENTION_DAYS, tags });

    const role = new aws.iam.Role('function-role', {
      name: roleName(tenantId),
      tags,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    });
    const rolePolicy = new aws.iam.RolePolicy('function-policy', {
      name: 'thumbnailer',
      role: role.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'ReadVideos', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [pulumi.interpolate`${bucket.arn}/${VIDEO_PREFIX}*`] },
          { Sid: 'WriteThumbnails', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [pulumi.interpolate`${bucket.arn}/${THUMBNAIL_PREFIX}*`] },
          // A run reads back what the video's earlier run recorded: the regeneration it repeats, the storyboard it keeps.
          { Sid: 'ReadRunRecords', Effect: 'Allow', Action: ['s3:GetObject'], Resource: RUN_RECORD_PATTERNS.map((pattern) => pulumi.interpolate`${bucket.arn}/${pattern}`) },
          { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [pulumi.interpolate`${logGroup.arn}:*`] },
          // The failure destination sends with this role (SSE-SQS asks no KMS grant of the sender).
          { Sid: 'ReportFailures', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [failuresQueueArn] },
        ],
      }),
    });

    const thumbnailer = new aws.lambda.Function(
      'function',
      {
        name: functionName(tenantId),
        packageType: 'Image',
        imageUri: imageUri(image),
        role: role.arn,
        memorySize: THUMBNAILER_MEMORY_MB,
        timeout: THUMBNAILER_TIMEOUT_SECONDS,
        environment: { variables: settingsToEnv(settings) },
        // The handler logs pino JSON lines: Lambda keeps them as JSON, filtered by level.
        loggingConfig: { logFormat: 'JSON', applicationLogLevel: 'INFO', systemLogLevel: 'WARN', logGroup: logGroup.name },
        tags,
      },
      // The role must carry its policy before the first invocation can write thumbnails or logs.
      { dependsOn: [rolePolicy, logGroup] },
    );

    // Not taggable. Lambda checks the role may send to the destination when this is saved: after the policy.
    const invokeConfig = new aws.lambda.FunctionEventInvokeConfig(
      'function-async-invocations',
      {
        functionName: thumbnailer.name,
        maximumRetryAttempts: THUMBNAILER_RETRY_ATTEMPTS,
        maximumEventAgeInSeconds: THUMBNAILER_EVENT_AGE_SECONDS,
        destinationConfig: { onFailure: { destination: failuresQueueArn } },
      },
      { dependsOn: [rolePolicy] },
    );

    const permission = new aws.lambda.Permission('function-invoke-from-bucket', {
      action: 'lambda:InvokeFunction',
      function: thumbnailer.name,
      principal: 's3.amazonaws.com',
      sourceArn: bucket.arn,
      sourceAccount: accountId,
    });

    new aws.s3.BucketNotification(
      'bucket-notification',
      {
        bucket: bucket.id,
        lambdaFunctions: videoTriggerFilters().map((filter) => ({
          lambdaFunctionArn: thumbnailer.arn,
          events: OBJECT_CREATED_EVENTS,
          filterPrefix: filter.prefix,
          filterSuffix: filter.suffix,
        })),
        // The catalog's events, through the rule below (see the top of this file).
        eventbridge: true,
      },
      // S3 validates the destination when the notification is saved: the permission must exist first.
      // And no upload is run before a run that fails for good has somewhere to go.
      { dependsOn: [permission, invokeConfig] },
    );

    const catalogRule = new aws.cloudwatch.EventRule('catalog-events', {
      name: catalogRuleName(tenantId),
      description: `thumbforge catalog: object changes of tenant ${tenantId}'s videos and thumbnails`,
      eventPattern: pulumi.jsonStringify({
        source: ['aws.s3'],
        'detail-type': CATALOG_EVENT_TYPES,
        detail: { bucket: { name: [bucket.id] }, object: { key: [{ prefix: VIDEO_PREFIX }, { prefix: THUMBNAIL_PREFIX }] } },
      }),
      tags,
    });
    new aws.cloudwatch.EventTarget('catalog-events-queue', { rule: catalogRule.name, arn: eventsQueueArn });

    return {
      bucket: bucket.id,
      bucketArn: bucket.arn,
      functionName: thumbnailer.name,
      functionArn: thumbnailer.arn,
      region: pulumi.output(region),
    };
  };
}

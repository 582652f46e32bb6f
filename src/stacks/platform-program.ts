// The shared platform program: builds the thumbnailer image (src/lambda-image/Dockerfile) once and
// pushes it to ECR, and owns the catalog events queue every tenant's EventBridge rule targets and
// the thumbnailer failures queue every tenant function's failure destination sends to. Tenant
// stacks only reference its outputs; nothing per tenant may build an image or change a queue's
// policy. The image copies the compiled handler, so `npm run build` runs before this program.
import { join } from 'node:path';
import { CATALOG_RULE_PREFIX, EVENTS_QUEUE_MAX_RECEIVES, thumbnailerFailuresQueue, type EventsQueue } from '../domain/events-queue.js';
import { projectRoot } from '../domain/toolchain.js';

export const PLATFORM_PROJECT = 'thumbforge-platform';
/** The repository's fixed name: the one docs/service-iam-policy.json grants (IMAGE_REPOSITORY in docs/aws.md). */
export const THUMBNAILER_REPOSITORY = 'thumbforge-thumbnailer';
export const PLATFORM_IMAGE_OUTPUT = 'imageUri';
export const PLATFORM_EVENTS_QUEUE_OUTPUT = 'eventsQueueUrl';

/** The build context is the repository root: the image takes dist/ and the handler's manifest from it. */
export const LAMBDA_IMAGE_CONTEXT = projectRoot;
export const LAMBDA_IMAGE_DOCKERFILE = join(projectRoot, 'src', 'lambda-image', 'Dockerfile');

/** How long an event (or a failure record) waits for a replica to take it (the service down over a weekend); the reconcile covers anything older. */
const EVENTS_RETENTION_SECONDS = 4 * 24 * 3600;
/** Longer than the consumer needs to queue one batch as jobs, short enough that a dead replica's messages come back soon. */
const EVENTS_VISIBILITY_SECONDS = 60;

/**
 * The queue's policy: EventBridge may send to it only for rules of this account and region named
 * CATALOG_RULE_PREFIX* (each tenant's rule matches its own bucket only), and only over TLS.
 */
export function eventsQueuePolicy(queue: EventsQueue, queueArn: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TenantCatalogRules',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: {
          ArnLike: { 'aws:SourceArn': `arn:aws:events:${queue.region}:${queue.accountId}:rule/${CATALOG_RULE_PREFIX}*` },
          StringEquals: { 'aws:SourceAccount': queue.accountId },
        },
      },
      tlsOnly(queueArn),
    ],
  };
}

/**
 * The failures queue's policy: TLS only. The tenant roles send with their own grant, each naming
 * this queue (src/stacks/aws-program.ts); within the account an identity policy needs no resource policy.
 */
export function failuresQueuePolicy(queueArn: string) {
  return { Version: '2012-10-17', Statement: [tlsOnly(queueArn)] };
}

function tlsOnly(queueArn: string) {
  return { Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: queueArn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
}

export function platformProgram(input: { eventsQueue: EventsQueue }) {
  return async () => {
    // Loaded by the engine run, never by a replica that only references the platform stack.
    const [pulumi, aws, awsx] = await Promise.all([import('@pulumi/pulumi'), import('@pulumi/aws'), import('@pulumi/awsx')]);
    // Every push gets a tag of its own that can never move (awsx tags each build uniquely), and no
    // lifecycle policy expires images: a tenant not yet rolled out still runs the one it references.
    // Nor does deleting this stack delete images (no forceDelete): remove old ones by hand once no
    // tenant references them (after a rollout, POST /rollouts).
    const repository = new awsx.ecr.Repository('thumbnailer', {
      name: THUMBNAILER_REPOSITORY,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      lifecyclePolicy: { skip: true },
      forceDelete: false,
    });
    const image = new awsx.ecr.Image('thumbnailer', {
      repositoryUrl: repository.url,
      context: LAMBDA_IMAGE_CONTEXT,
      dockerfile: LAMBDA_IMAGE_DOCKERFILE,
      platform: 'linux/amd64',
    });

    const { name } = input.eventsQueue;
    const deadLetters = new aws.sqs.Queue('catalog-events-dead', { name: `${name}-dead`, messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true });
    const consumed = {
      // EventBridge can send to a queue encrypted with SQS-managed keys (not with the AWS-managed KMS
      // key); a Lambda destination needs no KMS grant for them either.
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: EVENTS_RETENTION_SECONDS,
      visibilityTimeoutSeconds: EVENTS_VISIBILITY_SECONDS,
      receiveWaitTimeSeconds: 20,
      // One dead letter for both: a message the service failed to take 10 times, whichever queue it came from.
      redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: EVENTS_QUEUE_MAX_RECEIVES }),
    };
    const queue = new aws.sqs.Queue('catalog-events', { name, ...consumed });
    new aws.sqs.QueuePolicy('catalog-events-policy', {
      queueUrl: queue.url,
      policy: queue.arn.apply((arn) => JSON.stringify(eventsQueuePolicy(input.eventsQueue, arn))),
    });
    const failures = new aws.sqs.Queue('thumbnailer-failures', { name: thumbnailerFailuresQueue(input.eventsQueue).name, ...consumed });
    new aws.sqs.QueuePolicy('thumbnailer-failures-policy', {
      queueUrl: failures.url,
      policy: failures.arn.apply((arn) => JSON.stringify(failuresQueuePolicy(arn))),
    });
    return { [PLATFORM_IMAGE_OUTPUT]: image.imageUri, [PLATFORM_EVENTS_QUEUE_OUTPUT]: queue.url };
  };
}

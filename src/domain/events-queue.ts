// The aws target's catalog events queue, named by its URL (THUMBFORGE_EVENTS_QUEUE_URL): how the
// URL reads and the ARN it stands for, and the thumbnailer failures queue named after it, defined
// once for the configuration, the tenant program (the rule that targets the one, the failure
// destination that sends to the other) and the platform program (which creates both). Pure: no I/O.

/** Receives of one message before the queue moves it to its dead-letter queue (`<name>-dead`). */
export const EVENTS_QUEUE_MAX_RECEIVES = 10;
/** Every tenant's EventBridge rule is named `<prefix><tenantId>`; the queue policy admits these only. */
export const CATALOG_RULE_PREFIX = 'thumbforge-catalog-';

/** SQS's longest queue name, less the longest suffix of a queue named after this one. */
const NAME_MAX = 80 - '-failures'.length;
const QUEUE_URL = new RegExp(`^https://sqs\\.([a-z]{2}(?:-[a-z]+)+-\\d)\\.amazonaws\\.com/(\\d{12})/([A-Za-z0-9_-]{1,${NAME_MAX}})$`);

export type EventsQueue = { url: string; region: string; accountId: string; name: string; arn: string };

function queueNamed(region: string, accountId: string, name: string): EventsQueue {
  return { url: `https://sqs.${region}.amazonaws.com/${accountId}/${name}`, region, accountId, name, arn: `arn:aws:sqs:${region}:${accountId}:${name}` };
}

/** The queue a URL names (`https://sqs.<region>.amazonaws.com/<account>/<name>`), or undefined when it is not one. */
export function parseEventsQueueUrl(url: string): EventsQueue | undefined {
  const match = QUEUE_URL.exec(url);
  if (!match) return undefined;
  const [, region, accountId, name] = match as unknown as [string, string, string, string];
  return queueNamed(region, accountId, name);
}

/** Where the tenant functions' failure destinations send, `<name>-failures` beside the events queue (why a queue of its own: src/stacks/aws-program.ts). */
export function thumbnailerFailuresQueue(events: EventsQueue): EventsQueue {
  return queueNamed(events.region, events.accountId, `${events.name}-failures`);
}

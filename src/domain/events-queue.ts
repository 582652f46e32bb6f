// The aws target's catalog events queue, named by its URL (THUMBFORGE_EVENTS_QUEUE_URL): how the
// URL reads and the ARN it stands for, defined once for the configuration, the tenant program (the
// rule that targets it) and the platform program (the queue it creates). Pure: no I/O.

/** Receives of one message before the queue moves it to its dead-letter queue (`<name>-dead`). */
export const EVENTS_QUEUE_MAX_RECEIVES = 10;
/** Every tenant's EventBridge rule is named `<prefix><tenantId>`; the queue policy admits these only. */
export const CATALOG_RULE_PREFIX = 'thumbforge-catalog-';

const QUEUE_URL = /^https:\/\/sqs\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/(\d{12})\/([A-Za-z0-9_-]{1,80})$/;

export type EventsQueue = { url: string; region: string; accountId: string; name: string; arn: string };

/** The queue a URL names (`https://sqs.<region>.amazonaws.com/<account>/<name>`), or undefined when it is not one. */
export function parseEventsQueueUrl(url: string): EventsQueue | undefined {
  const match = QUEUE_URL.exec(url);
  if (!match) return undefined;
  const [, region, accountId, name] = match as unknown as [string, string, string, string];
  return { url, region, accountId, name, arn: `arn:aws:sqs:${region}:${accountId}:${name}` };
}

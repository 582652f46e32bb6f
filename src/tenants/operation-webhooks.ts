// What the tenant lifecycle tells webhooks when an operation ends: operation.succeeded or
// operation.failed (a cancelled one is neither), and tenant.ready or tenant.failed when the
// operation moved the tenant there. Called once the change is committed; a publish that fails is
// logged, and never changes or fails the operation.
import type { WebhookEvent, WebhookEventSink } from '../domain/webhook-events.js';
import type { Operation, Tenant, TenantStatus } from './tenant-types.js';

/** An operation as it ended, and its tenant before and after, when the operation settled the tenant's status. */
export type OperationEnd = { operation: Operation; tenant?: { before: TenantStatus; after: Tenant } };

export function operationEndEvents({ operation, tenant }: OperationEnd): WebhookEvent[] {
  const events: WebhookEvent[] = [];
  if (operation.status === 'succeeded' || operation.status === 'failed') {
    events.push({ type: `operation.${operation.status}`, tenantId: operation.tenantId, data: { ...operation } });
  }
  const status = tenant?.after.status;
  if (tenant && status !== tenant.before && (status === 'ready' || status === 'failed')) {
    events.push({ type: `tenant.${status}`, tenantId: operation.tenantId, data: { ...tenant.after } });
  }
  return events;
}

export async function announceOperationEnd(sink: WebhookEventSink | undefined, logger: { error(details: object, message?: string): void }, end: OperationEnd): Promise<void> {
  if (!sink) return;
  for (const event of operationEndEvents(end)) {
    await sink.publish(event).catch((error: unknown) => {
      logger.error({ err: error, type: event.type, operationId: end.operation.id, tenantId: end.operation.tenantId }, 'could not publish a webhook event; the operation stands');
    });
  }
}

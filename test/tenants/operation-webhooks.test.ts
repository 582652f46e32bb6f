// The webhook events an ended operation makes, and a publish that fails: logged, never thrown.
import t from 'tap';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import type { WebhookEvent } from '../../src/domain/webhook-events.js';
import { announceOperationEnd, operationEndEvents } from '../../src/tenants/operation-webhooks.js';
import type { Operation, Tenant } from '../../src/tenants/tenant-types.js';

const operation = (status: Operation['status'], kind: Operation['kind'] = 'up'): Operation => ({ id: '01J00000000000000000000OP1', tenantId: 'acme', kind, status, createdAt: '2025-01-01T00:00:00.000Z', attempt: 1 });
const tenant = (status: Tenant['status']): Tenant => ({ id: 'acme', status, settings: DEFAULT_THUMBNAIL_SETTINGS, settingsVersion: 1, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z' });
const types = (events: WebhookEvent[]) => events.map((event) => event.type);

t.test('which events an end makes', async (t) => {
  t.same(types(operationEndEvents({ operation: operation('succeeded'), tenant: { before: 'provisioning', after: tenant('ready') } })), ['operation.succeeded', 'tenant.ready'], 'a first up');
  t.same(types(operationEndEvents({ operation: operation('succeeded'), tenant: { before: 'updating', after: tenant('ready') } })), ['operation.succeeded', 'tenant.ready'], 'an update');
  t.same(types(operationEndEvents({ operation: operation('failed'), tenant: { before: 'provisioning', after: tenant('failed') } })), ['operation.failed', 'tenant.failed'], 'a failed up');
  t.same(types(operationEndEvents({ operation: operation('failed', 'destroy'), tenant: { before: 'deleting', after: tenant('failed') } })), ['operation.failed', 'tenant.failed'], 'a failed destroy');
  t.same(types(operationEndEvents({ operation: operation('succeeded', 'destroy') })), ['operation.succeeded'], 'a destroy that removed the tenant');
  t.same(types(operationEndEvents({ operation: operation('succeeded', 'refresh') })), ['operation.succeeded'], 'a drift check changes no status');
  t.same(types(operationEndEvents({ operation: operation('failed'), tenant: { before: 'failed', after: tenant('failed') } })), ['operation.failed'], 'a tenant already failed is not announced again');
  t.same(types(operationEndEvents({ operation: operation('cancelled'), tenant: { before: 'updating', after: tenant('interrupted') } })), [], 'a cancel that interrupts');
  t.same(types(operationEndEvents({ operation: operation('cancelled'), tenant: { before: 'provisioning', after: tenant('failed') } })), ['tenant.failed'], 'a cancelled first up leaves the tenant failed');
  const [opEvent, tenantEvent] = operationEndEvents({ operation: operation('succeeded'), tenant: { before: 'provisioning', after: tenant('ready') } });
  t.same(opEvent, { type: 'operation.succeeded', tenantId: 'acme', data: operation('succeeded') }, 'the operation as its record shows it');
  t.same(tenantEvent, { type: 'tenant.ready', tenantId: 'acme', data: tenant('ready') }, 'the tenant as it now is');
});

t.test('a publish that fails is logged and the next event still goes; nothing is thrown', async (t) => {
  const published: string[] = [];
  const logged: Array<{ details: object; message?: string }> = [];
  const sink = {
    async publish(event: WebhookEvent) {
      if (event.type === 'operation.succeeded') throw new Error('the database is gone');
      published.push(event.type);
    },
  };
  const logger = { error: (details: object, message?: string) => void logged.push({ details, message }) };
  await announceOperationEnd(sink, logger, { operation: operation('succeeded'), tenant: { before: 'provisioning', after: tenant('ready') } });
  t.same(published, ['tenant.ready']);
  t.match(logged, [{ details: { type: 'operation.succeeded', operationId: '01J00000000000000000000OP1', tenantId: 'acme', err: { message: 'the database is gone' } }, message: /could not publish/ }]);
  await announceOperationEnd(undefined, logger, { operation: operation('succeeded') });
  t.equal(logged.length, 1, 'without a sink there is nothing to publish');
});

// The SQLite tenant store and the operation feed on a real database file in a temp dir.
import t from 'tap';
import { join } from 'node:path';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { openTenantStore } from '../../src/stacks/index.js';
import { createOperationFeed } from '../../src/stacks/operation-feed.js';
import type { Operation, OperationStreamItem, Tenant } from '../../src/stacks/index.js';
import { tempDir } from '../helpers/local-store.js';

const at = '2026-01-01T00:00:00.000Z';
const tenant = (id: string): Tenant => ({ id, status: 'provisioning', settings: DEFAULT_THUMBNAIL_SETTINGS, apiKeyHash: `hash-${id}`, createdAt: at, updatedAt: at });
const operation = (id: string, tenantId: string): Operation => ({ id, tenantId, kind: 'up', status: 'queued', createdAt: at });

t.test('tenants and operations persist; a second insert of one id writes nothing', async (t) => {
  const path = join(await tempDir(t), 'data', 'thumbforge.sqlite');
  const store = openTenantStore(path);
  t.ok(store.insertTenant(tenant('acme'), operation('op1', 'acme')));
  t.notOk(store.insertTenant({ ...tenant('acme'), apiKeyHash: 'other' }, operation('op2', 'acme')), 'the id exists');
  t.equal(store.getOperation('op2'), undefined, 'the losing insert left no operation');
  t.equal(store.getTenant('acme')?.apiKeyHash, 'hash-acme');
  t.equal(store.getTenant('acme')?.lastOperationId, 'op1');

  const outputs = { bucket: 'b', bucketArn: 'arn:aws:s3:::b', functionName: 'f', functionArn: 'arn:f', region: 'us-east-1' };
  store.updateOperation('op1', { status: 'succeeded', startedAt: at, finishedAt: at });
  store.updateTenant('acme', { status: 'ready', outputs });
  store.insertOperation({ ...operation('op3', 'acme'), kind: 'destroy' }, { status: 'deleting' });
  store.close();

  const reopened = openTenantStore(path);
  t.teardown(() => reopened.close());
  t.match(reopened.getTenant('acme'), { status: 'deleting', outputs, lastOperationId: 'op3', settings: DEFAULT_THUMBNAIL_SETTINGS });
  t.same(reopened.operationsWithStatus(['queued', 'running']).map((op) => op.id), ['op3']);
  t.same(reopened.getOperation('op1'), { ...operation('op1', 'acme'), status: 'succeeded', startedAt: at, finishedAt: at });
  reopened.deleteTenant('acme');
  t.equal(reopened.getTenant('acme'), undefined);
  t.ok(reopened.getOperation('op3'), 'operations outlive their tenant for replay');
});

t.test('the feed replays stored events, follows live ones and ends with done', async (t) => {
  const store = openTenantStore(join(await tempDir(t), 'thumbforge.sqlite'));
  t.teardown(() => store.close());
  const feed = createOperationFeed(store);
  store.insertTenant(tenant('acme'), operation('op1', 'acme'));
  store.updateOperation('op1', { status: 'running' });
  feed.record('op1', { n: 1 });

  const seen: OperationStreamItem[] = [];
  const following = (async () => {
    for await (const item of feed.follow('op1')) seen.push(item);
  })();
  await new Promise((resolve) => setTimeout(resolve, 20));
  feed.record('op1', { n: 2 });
  feed.record('op1', { n: 3 });
  store.updateOperation('op1', { status: 'failed', error: 'boom' });
  feed.changed('op1');
  await following;
  t.same(seen.map((item) => (item.type === 'event' ? item.data.event : item.data)), [{ n: 1 }, { n: 2 }, { n: 3 }, { operationId: 'op1', status: 'failed', error: 'boom' }]);
  t.same(seen.slice(0, 3).map((item) => (item.type === 'event' ? item.data.seq : 0)), [1, 2, 3]);

  const aborted = new AbortController();
  store.insertTenant(tenant('beta'), operation('op2', 'beta'));
  const stream = feed.follow('op2', aborted.signal)[Symbol.asyncIterator]();
  const next = stream.next();
  aborted.abort();
  t.same(await next, { done: true, value: undefined }, 'an aborted follower stops without a done item');
});

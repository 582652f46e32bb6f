// The webhooks on a real database and job engine, with real receivers on loopback that verify
// every signature: an event reaches each subscribed endpoint of its tenant only; a receiver that
// hangs (ended by the sender's timeout) and then fails is retried under the same webhook-id until
// it answers 2xx; one that keeps failing ends failed after its attempts; a waiting retry shows when
// it is due, and a redelivery replaces it; deleting an endpoint or a tenant removes its deliveries
// and a retry left waiting then sends nothing; signing secrets are sealed at rest, and one the
// service cannot open is logged, not sent; an event published in the producer's transaction is
// delivered once that commits, and never when it rolls back. The first part runs on both database backends.
import t, { type Test } from 'tap';
import { createJobEngine } from '../../src/db/job-engine.js';
import { migrate } from '../../src/db/migrate.js';
import { WebhookDeliveryNotFound, WebhookEndpointNotFound, TenantNotFound, WebhookUrlRefused } from '../../src/domain/errors.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { deleteTenant, insertTenant } from '../../src/tenants/tenant-records.js';
import { DELIVERIES_QUEUE } from '../../src/webhooks/delivery-queue.js';
import type { AttemptOutcome } from '../../src/webhooks/delivery-attempt.js';
import { createSecretBox } from '../../src/webhooks/signing-secrets.js';
import { startWebhooks } from '../../src/webhooks/webhooks.js';
import { testBackends, type TestBackend } from '../helpers/databases.js';
import { eventually, quietLogger } from '../helpers/stacks.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const SECRET_KEY = 'test-webhook-secret-key-of-32-characters';

/** What the promise rejected with (undefined if it resolved). */
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

/** A database, a job engine and the webhooks on them, with tenants acme and globex; all stopped by the test. */
async function openWebhooks(t: Test, backend: TestBackend, options: { retryDelaySeconds: number; maxAttempts?: number }) {
  const db = await (await backend.store(t)).open();
  await migrate(db);
  const boss = await createJobEngine({ db, replicaId: 'webhooks-test', heartbeatSeconds: 10, logger: quietLogger });
  const attempts: Array<AttemptOutcome['outcome']> = [];
  const webhooks = await startWebhooks({
    db,
    boss,
    secretKey: SECRET_KEY,
    allowLoopback: true,
    maxAttempts: options.maxAttempts ?? 3,
    retryDelaySeconds: options.retryDelaySeconds,
    timeoutSeconds: 1,
    logger: quietLogger,
    metrics: { webhookAttempted: ({ outcome }) => attempts.push(outcome) },
  });
  // Before the database closes (its own teardown, registered earlier, runs later).
  t.teardown(async () => {
    await webhooks.stop();
    await boss.stop({ graceful: false, close: true, timeout: 5_000 });
  });
  for (const id of ['acme', 'globex']) await insertTenant(db, { id, status: 'ready', settings: DEFAULT_THUMBNAIL_SETTINGS, lastOperationId: `op-${id}` });
  const page = { limit: 100 };
  const deliveries = async (tenantId: string, endpointId: string) => (await webhooks.endpoints.deliveries(tenantId, endpointId, page)).items;
  const settled = (tenantId: string, endpointId: string, count: number) =>
    eventually(async () => {
      const items = await deliveries(tenantId, endpointId);
      return items.length === count && items.every((item) => item.status !== 'pending') ? items : undefined;
    }, `${count} settled deliveries of ${endpointId}`);
  return { db, boss, webhooks, attempts, deliveries, settled };
}

for (const backend of testBackends) t.test(`on ${backend.kind}: retries under one webhook-id until a 2xx; failed once the attempts run out; other tenants and types get nothing`, async (t) => {
  const { db, webhooks, attempts, deliveries, settled } = await openWebhooks(t, backend, { retryDelaySeconds: 1 });
  const flaky = await startWebhookReceiver(t, (attempt) => (attempt === 1 ? 'hang' : attempt === 2 ? 500 : 204));
  const failing = await startWebhookReceiver(t, () => 503);
  const videosOnly = await startWebhookReceiver(t);
  const otherTenant = await startWebhookReceiver(t);
  const create = async (tenantId: string, receiver: typeof flaky, eventTypes?: Parameters<typeof webhooks.endpoints.create>[1]['eventTypes']) => {
    const { endpoint, secret } = await webhooks.endpoints.create(tenantId, { url: receiver.url, eventTypes });
    receiver.secret = secret;
    return endpoint;
  };
  const flakyEndpoint = await create('acme', flaky);
  const failingEndpoint = await create('acme', failing, ['tenant.ready']);
  const videosEndpoint = await create('acme', videosOnly, ['video.ready', 'video.ready']);
  const otherEndpoint = await create('globex', otherTenant);
  t.same(videosEndpoint.eventTypes, ['video.ready'], 'event types are kept once each');
  t.equal(flakyEndpoint.eventTypes, null, 'no list: every type');

  const data = { id: 'acme', status: 'ready' };
  await webhooks.events.publish({ type: 'tenant.ready', tenantId: 'acme', data });

  const [delivered] = await settled('acme', flakyEndpoint.id, 1);
  t.match(delivered, { eventType: 'tenant.ready', status: 'delivered', attempts: 3, lastResponseStatus: 204, deliveredAt: String }, 'delivered on the third attempt');
  t.notOk(delivered!.lastError, 'the last answer replaced the earlier errors');
  t.match(delivered!.id, /^msg_[0-9A-Z]{26}$/);
  t.match(
    delivered!.log,
    [
      { attempt: 3, responseStatus: 204 },
      { attempt: 2, responseStatus: 500 },
      { attempt: 1, error: /no answer within 1 s/ },
    ],
    'the log, newest first: the hang ended by the timeout, the 500, the 2xx',
  );
  t.ok(delivered!.log[2]!.durationMs >= 1000, 'the hung attempt lasted the timeout');
  t.same(flaky.received.map((received) => [received.id, received.attempt, received.error]), [1, 2, 3].map((attempt) => [delivered!.id, attempt, undefined]), 'three requests, one webhook-id, every signature verified');
  t.same(flaky.received.map((received) => received.message), [1, 2, 3].map(() => ({ type: 'tenant.ready', timestamp: JSON.parse(delivered!.payload).timestamp, data })), 'the same body each time');
  t.ok(flaky.received.every((received, i) => i === 0 || received.timestamp >= flaky.received[i - 1]!.timestamp), 'each attempt is signed with its own timestamp');

  const [failed] = await settled('acme', failingEndpoint.id, 1);
  t.match(failed, { status: 'failed', attempts: 3, lastResponseStatus: 503, failedAt: String }, 'failed after its three attempts');
  t.notOk(failed!.nextAttemptAt, 'no next attempt');
  t.equal(failing.received.length, 3);
  t.ok(failing.received.every((received) => received.message?.type === 'tenant.ready'));

  t.same(await deliveries('acme', videosEndpoint.id), [], 'an endpoint not subscribed to the type gets no delivery');
  t.same(await deliveries('globex', otherEndpoint.id), [], "another tenant's endpoint gets none");
  t.same([videosOnly.received, otherTenant.received], [[], []], 'and no request');
  t.same([...attempts].sort(), ['delivered', 'rejected', 'rejected', 'rejected', 'rejected', 'timed-out'], 'each attempt reported to the metrics with its outcome');

  t.test('every call is scoped to the tenant: another tenant\'s endpoint is not found', async (t) => {
    t.type(await failure(webhooks.endpoints.deliveries('globex', flakyEndpoint.id, { limit: 10 })), WebhookEndpointNotFound);
    t.type(await failure(webhooks.endpoints.redeliver('globex', flakyEndpoint.id, delivered!.id)), WebhookEndpointNotFound);
    t.type(await failure(webhooks.endpoints.remove('globex', flakyEndpoint.id)), WebhookEndpointNotFound);
    t.type(await failure(webhooks.endpoints.redeliver('acme', failingEndpoint.id, delivered!.id)), WebhookDeliveryNotFound, "a delivery of the tenant's other endpoint");
    t.type(await failure(webhooks.endpoints.list('nobody', { limit: 10 })), TenantNotFound);
    t.type(await failure(webhooks.endpoints.create('nobody', { url: flaky.url })), TenantNotFound);
    t.equal((await webhooks.endpoints.list('acme', { limit: 10 })).items.length, 3, "acme's endpoints are all there");
    t.equal((await deliveries('acme', flakyEndpoint.id)).length, 1);
  });

  t.test('a refused URL writes nothing; the secret is sealed at rest', async (t) => {
    const count = async () => (await db.query<{ n: number }>('SELECT count(*) AS n FROM webhook_endpoints'))[0]!.n;
    const before = await count();
    t.type(await failure(webhooks.endpoints.create('acme', { url: 'https://10.0.0.1/in' })), WebhookUrlRefused);
    t.type(await failure(webhooks.endpoints.create('acme', { url: 'http://example.com/in' })), WebhookUrlRefused);
    t.equal(await count(), before, 'no endpoint row');

    const [row] = await db.query<{ secret_ciphertext: string }>('SELECT secret_ciphertext FROM webhook_endpoints WHERE id = $1', [flakyEndpoint.id]);
    const sealed = row!.secret_ciphertext;
    t.notOk(sealed.includes(flaky.secret!) || sealed.includes(flaky.secret!.slice('whsec_'.length)), 'the row does not hold the secret');
    t.equal(createSecretBox(SECRET_KEY).open(flakyEndpoint.id, sealed), flaky.secret, 'the service key opens it');
    t.throws(() => createSecretBox(`${SECRET_KEY}-other`).open(flakyEndpoint.id, sealed), 'another key does not');
    t.throws(() => createSecretBox(SECRET_KEY).open(failingEndpoint.id, sealed), 'nor does it open as another endpoint\'s');
  });
});

t.test('a waiting retry shows when it is due; a redelivery replaces it; deleting an endpoint or a tenant stops its deliveries', async (t) => {
  // Retries 10-20 s after a failed attempt: time enough to read the log between attempts.
  const { db, boss, webhooks, deliveries } = await openWebhooks(t, testBackends[0]!, { retryDelaySeconds: 10 });
  let healthy = false;
  const receiver = await startWebhookReceiver(t, () => (healthy ? 204 : 500));
  const { endpoint, secret } = await webhooks.endpoints.create('acme', { url: receiver.url });
  receiver.secret = secret;

  await webhooks.events.publish({ type: 'operation.succeeded', tenantId: 'acme', data: { id: 'op-1' } });
  const [waiting] = await eventually(async () => {
    const items = await deliveries('acme', endpoint.id);
    return items[0]?.attempts === 1 && items[0].nextAttemptAt ? items : undefined;
  }, 'the first attempt recorded and the retry scheduled');
  const failedAt = Date.parse(waiting!.log[0]!.startedAt) + waiting!.log[0]!.durationMs;
  const dueIn = (Date.parse(waiting!.nextAttemptAt!) - failedAt) / 1000;
  t.match(waiting, { status: 'pending', lastResponseStatus: 500 });
  t.ok(dueIn >= 9 && dueIn <= 21, `the first retry is due 10-20 s after the failed attempt (${dueIn.toFixed(1)} s), within 30 s`);

  healthy = true;
  const redelivered = await webhooks.endpoints.redeliver('acme', endpoint.id, waiting!.id);
  t.match(redelivered, { id: waiting!.id, status: 'pending', attempts: 1 }, 'the same delivery, pending again');
  const [delivered] = await eventually(async () => {
    const items = await deliveries('acme', endpoint.id);
    return items[0]?.status === 'delivered' ? items : undefined;
  }, 'the redelivery');
  t.match(delivered, { id: waiting!.id, attempts: 2, lastResponseStatus: 204 });
  t.same(receiver.received.map((received) => [received.id, received.message?.type]), [[waiting!.id, 'operation.succeeded'], [waiting!.id, 'operation.succeeded']], 'the same webhook-id, verified each time');
  const cancelled = await boss.findJobs(DELIVERIES_QUEUE, { data: { deliveryId: waiting!.id } });
  t.same(cancelled.map((job) => job.state).sort(), ['cancelled', 'completed'], 'the waiting retry was dropped, the redelivery completed');

  // A delivery whose endpoint goes while its retry waits: the retry runs and sends nothing.
  healthy = false;
  await webhooks.events.publish({ type: 'tenant.failed', tenantId: 'acme', data: { id: 'acme' } });
  const [orphan] = await eventually(async () => {
    const items = await deliveries('acme', endpoint.id);
    return items.find((item) => item.eventType === 'tenant.failed' && item.attempts === 1) ? items : undefined;
  }, 'the first attempt of the tenant.failed delivery');
  await webhooks.endpoints.remove('acme', endpoint.id);
  t.same(await db.query('SELECT id FROM webhook_deliveries WHERE endpoint_id = $1', [endpoint.id]), [], 'its deliveries are gone with it');
  t.same(await db.query('SELECT delivery_id FROM webhook_delivery_attempts WHERE delivery_id = $1', [orphan!.id]), [], 'and their attempts');
  t.type(await failure(webhooks.endpoints.deliveries('acme', endpoint.id, { limit: 10 })), WebhookEndpointNotFound);
  await eventually(async () => {
    const jobs = await boss.findJobs(DELIVERIES_QUEUE, { data: { deliveryId: orphan!.id } });
    return jobs[0]?.state === 'completed' || undefined;
  }, 'the retry of the deleted delivery to run');
  t.equal(receiver.received.filter((received) => received.message?.type === 'tenant.failed').length, 1, 'it sent nothing');

  // A tenant that goes takes its endpoints and their deliveries.
  await webhooks.endpoints.create('globex', { url: receiver.url });
  await webhooks.events.publish({ type: 'tenant.ready', tenantId: 'globex', data: { id: 'globex' } });
  await deleteTenant(db, 'globex');
  t.same(await db.query('SELECT id FROM webhook_endpoints WHERE tenant_id = $1', ['globex']), [], "the tenant's endpoints are gone");
  t.same(await db.query('SELECT id FROM webhook_deliveries WHERE tenant_id = $1', ['globex']), [], 'and their deliveries');
  t.type(await failure(webhooks.endpoints.list('globex', { limit: 10 })), TenantNotFound);

  // A secret the service cannot open (sealed under another key): the attempt is logged, nothing is sent.
  const broken = await webhooks.endpoints.create('acme', { url: receiver.url });
  await db.query('UPDATE webhook_endpoints SET secret_ciphertext = $2 WHERE id = $1', [broken.endpoint.id, createSecretBox(`${SECRET_KEY}-rotated`).seal(broken.endpoint.id, broken.secret)]);
  const sent = receiver.received.length;
  await webhooks.events.publish({ type: 'video.ready', tenantId: 'acme', data: { id: 'video-1' } });
  const [unsigned] = await eventually(async () => {
    const items = await deliveries('acme', broken.endpoint.id);
    return items[0]?.attempts === 1 ? items : undefined;
  }, 'the attempt with the unopenable secret');
  t.match(unsigned, { status: 'pending', lastError: /cannot open the endpoint's signing secret/, log: [{ attempt: 1, error: /not sent/ }] });
  t.equal(receiver.received.length, sent, 'nothing was sent');
});

t.test("published in the producer's transaction: nothing when it rolls back, delivered once it commits", async (t) => {
  const { db, boss, webhooks, deliveries, settled } = await openWebhooks(t, testBackends[0]!, { retryDelaySeconds: 1 });
  const receiver = await startWebhookReceiver(t);
  const { endpoint, secret } = await webhooks.endpoints.create('acme', { url: receiver.url });
  receiver.secret = secret;

  const refused = db.transaction(async (tx) => {
    await webhooks.events.publish({ type: 'video.failed', tenantId: 'acme', data: { id: 'rolled-back' } }, tx);
    throw new Error('the producer failed after publishing');
  });
  await t.rejects(refused, { message: 'the producer failed after publishing' });
  t.same(await deliveries('acme', endpoint.id), [], 'no delivery');
  t.same(await boss.findJobs(DELIVERIES_QUEUE), [], 'and no delivery job');

  await db.transaction((tx) => webhooks.events.publish({ type: 'video.failed', tenantId: 'acme', data: { id: 'committed' } }, tx));
  const [delivered] = await settled('acme', endpoint.id, 1);
  t.match(delivered, { eventType: 'video.failed', status: 'delivered' });
  t.same(receiver.received.map((received) => received.message?.data.id), ['committed'], 'the receiver got the committed event only');
});

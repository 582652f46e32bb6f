// /webhooks on the whole service (local target, real engine): endpoints added while tenants
// provision get verifiable tenant.ready and operation.succeeded messages, through a receiver that
// hangs on each message's first attempt and fails its second, and a tenant whose provisioning
// fails gets tenant.failed and operation.failed (then tenant.ready after its retry); the delivery
// log shows the attempts under one webhook-id; redelivery; each tenant sees only its own
// endpoints (another's are 404, and nothing of theirs changes); refused URLs and bad input are 400
// problems that write nothing; every answer is in the API document.
import t from 'tap';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { startTestService, type ApiCall } from '../helpers/service.js';
import { processFreezer } from '../helpers/processes.js';
import { eventually } from '../helpers/stacks.js';
import { expectProblem, json, type Json } from '../helpers/http.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

t.test('webhook routes on the local target', async (t) => {
  const service = await startTestService(t, { THUMBFORGE_WEBHOOK_MAX_ATTEMPTS: '3', THUMBFORGE_WEBHOOK_RETRY_DELAY_SECONDS: '1', THUMBFORGE_WEBHOOK_TIMEOUT_SECONDS: '1' });
  const answers: Array<{ method: string; path: string; status: number }> = [];
  const api = async (path: string, call: ApiCall = {}) => {
    const response = await service.api(path, call);
    answers.push({ method: call.method ?? 'GET', path: path.split('?')[0]!, status: response.status });
    return response;
  };

  // Each message's first attempt hangs (the 1 s timeout ends it), its second gets a 500, then 204s.
  const flaky = await startWebhookReceiver(t, (attempt) => (attempt === 1 ? 'hang' : attempt === 2 ? 500 : 204));
  const operationsOnly = await startWebhookReceiver(t);
  const globexReceiver = await startWebhookReceiver(t);
  const create = async (receiver: WebhookReceiver, body: Json, call: ApiCall = {}, query = '') => {
    const response = await api(`/webhooks${query}`, { method: 'POST', json: body, ...call });
    t.equal(response.status, 201, `created: ${JSON.stringify(body)}`);
    const created = await json(response);
    receiver.secret = created.secret;
    return created;
  };

  // The store is frozen while the endpoints are added: each tenant's first `up` waits on its bucket call.
  const { freeze, thaw } = processFreezer(t, service.objectStorePid());
  freeze();
  const acme = await json(await api('/tenants', { method: 'POST', json: { id: 'acme' } }));
  const globex = await json(await api('/tenants', { method: 'POST', json: { id: 'globex' } }));
  const acmeKey = { token: acme.apiKey as string };
  const globexKey = { token: globex.apiKey as string };
  const flakyEndpoint = await create(flaky, { url: flaky.url }, {}, '?tenant=acme');
  const operationsEndpoint = await create(operationsOnly, { url: operationsOnly.url, events: ['operation.succeeded', 'operation.failed'] }, acmeKey);
  const globexEndpoint = await create(globexReceiver, { url: globexReceiver.url.replace('127.0.0.1', 'localhost') }, globexKey);
  // initech's bucket cannot be made (a plain file where the store keeps its directory): its up fails.
  const blocker = join(service.dataDir, 'buckets', bucketName('initech'));
  await writeFile(blocker, 'in the way');
  const initech = await json(await api('/tenants', { method: 'POST', json: { id: 'initech' } }));
  const initechReceiver = await startWebhookReceiver(t);
  await create(initechReceiver, { url: initechReceiver.url, events: ['tenant.failed', 'operation.failed', 'tenant.ready'] }, { token: initech.apiKey });
  t.equal((await json(await api('/tenants/acme'))).status, 'provisioning', 'the endpoints exist before the tenant is ready');
  thaw();

  t.test('POST /webhooks answers 201 with the endpoint and its secret, shown only there', async (t) => {
    t.match(flakyEndpoint, { id: /^[0-9A-Z]{26}$/, url: flaky.url, events: null, createdAt: String, secret: /^whsec_[A-Za-z0-9+/]{43}=$/ });
    t.same(operationsEndpoint.events, ['operation.failed', 'operation.succeeded']);
    const listed = await json(await api('/webhooks', acmeKey));
    t.same(listed.items.map((item: Json) => item.id), [operationsEndpoint.id, flakyEndpoint.id], 'newest first');
    t.ok(listed.items.every((item: Json) => !('secret' in item)), 'a listing never shows the secret');
    t.same(listed.nextCursor, null);
    const first = await json(await api('/webhooks?tenant=acme&limit=1'));
    t.same(first.items.map((item: Json) => item.id), [operationsEndpoint.id]);
    const second = await json(await api(`/webhooks?tenant=acme&limit=1&cursor=${first.nextCursor}`));
    t.same([second.items.map((item: Json) => item.id), second.nextCursor], [[flakyEndpoint.id], null], 'paged by cursor');
  });

  t.test('a provisioned tenant: verifiable tenant.ready and operation.succeeded, after a hang and a 500', async (t) => {
    const log = await eventually(async () => {
      const page = await json(await api(`/webhooks/${flakyEndpoint.id}/deliveries`, acmeKey));
      return page.items.length === 2 && page.items.every((item: Json) => item.status === 'delivered') ? page.items : undefined;
    }, "acme's two messages delivered");
    t.same(log.map((item: Json) => item.eventType).sort(), ['operation.succeeded', 'tenant.ready']);
    for (const delivery of log) {
      t.match(delivery, { id: /^msg_/, status: 'delivered', attempts: 3, lastResponseStatus: 204, deliveredAt: String }, `${delivery.eventType}: delivered on the third attempt`);
      t.match(delivery.log, [{ attempt: 3, responseStatus: 204 }, { attempt: 2, responseStatus: 500 }, { attempt: 1, error: /no answer within 1 s/ }], `${delivery.eventType}: the attempts, newest first`);
      const received = flaky.received.filter((message) => message.id === delivery.id);
      t.same(received.map((message) => [message.attempt, message.error]), [[1, undefined], [2, undefined], [3, undefined]], `${delivery.eventType}: three requests under its webhook-id, each signature verified`);
      t.same(received.map((message) => message.message), [1, 2, 3].map(() => delivery.payload), `${delivery.eventType}: the body the log shows, each time`);
    }
    const ready = log.find((item: Json) => item.eventType === 'tenant.ready').payload;
    t.match(ready, { type: 'tenant.ready', timestamp: String, data: { id: 'acme', status: 'ready', outputs: { bucket: String } } }, 'tenant.ready carries the tenant');
    const succeeded = log.find((item: Json) => item.eventType === 'operation.succeeded').payload;
    t.match(succeeded, { type: 'operation.succeeded', data: { id: acme.operation.id, tenantId: 'acme', kind: 'up', status: 'succeeded' } }, 'operation.succeeded carries the operation');
    t.ok(flaky.received.every((message) => message.message?.data.id === 'acme' || message.message?.data.tenantId === 'acme'), "acme's endpoint got acme's messages only");

    const onlyOperations = await eventually(async () => {
      const page = await json(await api(`/webhooks/${operationsEndpoint.id}/deliveries`, acmeKey));
      return page.items.length === 1 && page.items[0].status === 'delivered' ? page.items : undefined;
    }, 'the operations-only endpoint');
    t.match(onlyOperations, [{ eventType: 'operation.succeeded', attempts: 1 }], 'an endpoint subscribed to operations gets no tenant.ready');
    t.same(operationsOnly.received.map((message) => message.message?.type), ['operation.succeeded']);

    await eventually(() => globexReceiver.received.length >= 2 || undefined, "globex's messages");
    t.same(globexReceiver.received.map((message) => [message.message?.type, message.error]).sort(), [['operation.succeeded', undefined], ['tenant.ready', undefined]], 'globex gets its own, verified (through localhost)');
    t.ok(globexReceiver.received.every((message) => message.message?.data.id === 'globex' || message.message?.data.tenantId === 'globex'), 'and nothing of acme');
  });

  t.test('a failed provisioning: tenant.failed and operation.failed; its retry: tenant.ready', async (t) => {
    await eventually(() => initechReceiver.received.length >= 2 || undefined, "initech's failure messages");
    t.same(initechReceiver.received.map((message) => [message.message?.type, message.error]).sort(), [['operation.failed', undefined], ['tenant.failed', undefined]], 'both, verified');
    const failed = initechReceiver.received.find((message) => message.message?.type === 'operation.failed')!.message!;
    t.match(failed.data, { id: initech.operation.id, kind: 'up', status: 'failed', error: /cannot create bucket/ }, 'the operation and its error');
    t.match(initechReceiver.received.find((message) => message.message?.type === 'tenant.failed')!.message!.data, { id: 'initech', status: 'failed' });
    await rm(blocker);
    t.equal((await api('/tenants/initech/retry', { method: 'POST' })).status, 202);
    await eventually(() => initechReceiver.received.some((message) => message.message?.type === 'tenant.ready') || undefined, 'tenant.ready after the retry');
    t.notOk(initechReceiver.received.some((message) => message.message?.type === 'operation.succeeded'), 'no operation.succeeded: the endpoint is not subscribed to it');
  });

  t.test('redelivery sends the same message again under its webhook-id', async (t) => {
    const [latest] = (await json(await api(`/webhooks/${flakyEndpoint.id}/deliveries?limit=1`, acmeKey))).items;
    const before = flaky.received.length;
    const response = await api(`/webhooks/${flakyEndpoint.id}/deliveries/${latest.id}/redeliver?tenant=acme`, { method: 'POST' });
    t.equal(response.status, 202);
    t.match(await json(response), { id: latest.id, status: 'pending', attempts: 3 });
    const again = await eventually(async () => {
      const page = await json(await api(`/webhooks/${flakyEndpoint.id}/deliveries`, acmeKey));
      const item = page.items.find((delivery: Json) => delivery.id === latest.id);
      return item.status === 'delivered' && item.attempts === 4 ? item : undefined;
    }, 'the redelivery');
    t.match(again.log[0], { attempt: 4, responseStatus: 204 });
    t.same(flaky.received.slice(before).map((message) => [message.id, message.attempt, message.message]), [[latest.id, 4, latest.payload]], 'one more request, same id and body, verified');
  });

  t.test("another tenant's endpoints and deliveries are not found, and stay as they were", async (t) => {
    const [delivery] = (await json(await api(`/webhooks/${flakyEndpoint.id}/deliveries`, acmeKey))).items;
    const before = await json(await api(`/webhooks/${flakyEndpoint.id}/deliveries`, acmeKey));
    await expectProblem(t, await api(`/webhooks/${flakyEndpoint.id}/deliveries`, globexKey), 404, "globex reading acme's log");
    await expectProblem(t, await api(`/webhooks/${flakyEndpoint.id}/deliveries/${delivery.id}/redeliver`, { method: 'POST', ...globexKey }), 404, "globex redelivering acme's message");
    await expectProblem(t, await api(`/webhooks/${flakyEndpoint.id}`, { method: 'DELETE', ...globexKey }), 404, "globex deleting acme's endpoint");
    await expectProblem(t, await api(`/webhooks/${flakyEndpoint.id}?tenant=globex`, { method: 'DELETE' }), 404, "the admin acting for globex on acme's endpoint");
    await expectProblem(t, await api(`/webhooks/${globexEndpoint.id}/deliveries/${delivery.id}/redeliver`, { method: 'POST', ...globexKey }), 404, "acme's delivery under globex's endpoint");
    await expectProblem(t, await api('/webhooks?tenant=acme', globexKey), 404, "a tenant key naming another tenant");
    t.same((await json(await api('/webhooks', acmeKey))).items.map((item: Json) => item.id), [operationsEndpoint.id, flakyEndpoint.id], "acme's endpoints are all there");
    t.same(await json(await api(`/webhooks/${flakyEndpoint.id}/deliveries`, acmeKey)), before, 'and its log unchanged');
  });

  t.test('refused URLs and bad input are 400 problems, unknown tenants 404, and none writes anything', async (t) => {
    const endpoints = async () => (await json(await api('/webhooks?tenant=acme&limit=100'))).items.map((item: Json) => item.id);
    const before = await endpoints();
    for (const [url, what] of [
      ['http://93.184.216.34/in', 'plain http to a public address'],
      ['https://10.0.0.7/in', 'a literal private address'],
      ['https://192.168.1.1/in', 'another private range'],
      ['https://169.254.169.254/latest/meta-data', 'the metadata address'],
      ['https://[fd00::1]/in', 'a unique-local IPv6 address'],
      ['https://100.64.1.1/in', 'a CGNAT address'],
      ['https://[::]/in', 'the unspecified address'],
      ['https://224.0.0.1/in', 'a multicast address'],
      ['https://user:secret@example.com/in', 'credentials in the URL'],
      ['ftp://example.com/in', 'another scheme'],
      ['not a url', 'no URL'],
    ]) {
      await expectProblem(t, await api('/webhooks?tenant=acme', { method: 'POST', json: { url } }), 400, what!);
    }
    for (const body of [{}, { url: flaky.url, events: [] }, { url: flaky.url, events: ['video.exploded'] }, { url: flaky.url, extra: 1 }, { url: 42 }]) {
      await expectProblem(t, await api('/webhooks', { method: 'POST', json: body, ...acmeKey }), 400, `body ${JSON.stringify(body)}`);
    }
    await expectProblem(t, await api('/webhooks', { method: 'POST', json: { url: flaky.url } }), 400, 'the admin without ?tenant=');
    await expectProblem(t, await api('/webhooks?tenant=nobody', { method: 'POST', json: { url: flaky.url } }), 404, 'an unknown tenant');
    await expectProblem(t, await api('/webhooks?tenant=nobody'), 404, 'listing an unknown tenant');
    await expectProblem(t, await api('/webhooks', { method: 'POST', json: { url: flaky.url }, token: null }), 401, 'no token');
    await expectProblem(t, await api('/webhooks?tenant=acme&cursor=01J00000000000000000000000'), 400, 'a cursor this list never gave');
    await expectProblem(t, await api(`/webhooks/${flakyEndpoint.id}/deliveries?tenant=acme&cursor=msg_01J00000000000000000000000`), 400, 'a delivery cursor this log never gave');
    await expectProblem(t, await api('/webhooks/not-an-id/deliveries?tenant=acme'), 400, 'a malformed endpoint id');
    await expectProblem(t, await api(`/webhooks/${flakyEndpoint.id}/deliveries/01J00000000000000000000000/redeliver?tenant=acme`, { method: 'POST' }), 400, 'a malformed delivery id');
    await expectProblem(t, await api(`/webhooks/${flakyEndpoint.id}/deliveries/msg_01J00000000000000000000000/redeliver?tenant=acme`, { method: 'POST' }), 404, 'an unknown delivery');
    await expectProblem(t, await api('/webhooks/01J00000000000000000000000/deliveries?tenant=acme'), 404, 'an unknown endpoint');
    t.same(await endpoints(), before, 'no endpoint was added');
  });

  t.test('DELETE /webhooks/:id answers 204, then 404; its log goes with it', async (t) => {
    const response = await api(`/webhooks/${operationsEndpoint.id}`, { method: 'DELETE', ...acmeKey });
    t.equal(response.status, 204);
    await expectProblem(t, await api(`/webhooks/${operationsEndpoint.id}`, { method: 'DELETE', ...acmeKey }), 404, 'deleted twice');
    await expectProblem(t, await api(`/webhooks/${operationsEndpoint.id}/deliveries`, acmeKey), 404, 'its log');
    t.same((await json(await api('/webhooks', acmeKey))).items.map((item: Json) => item.id), [flakyEndpoint.id], 'the other endpoint stays');
  });

  t.test('the attempts are in the metrics, by outcome', async (t) => {
    const text = await (await api('/metrics')).text();
    const count = (outcome: string) => Number(new RegExp(`^thumbforge_webhook_attempt_duration_seconds_count\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    t.ok(count('timed-out') >= 2, `timed-out attempts (${count('timed-out')})`);
    t.ok(count('rejected') >= 2, `rejected attempts (${count('rejected')})`);
    t.ok(count('delivered') >= 6, `delivered attempts (${count('delivered')})`);
  });

  t.test('every answer this test got from /webhooks is in the API document', async (t) => {
    const document = await json(await service.api('/openapi.json', { token: null }));
    const templates = Object.keys(document.paths).filter((template) => template.startsWith('/webhooks'));
    t.same(templates.sort(), ['/webhooks', '/webhooks/{id}', '/webhooks/{id}/deliveries', '/webhooks/{id}/deliveries/{deliveryId}/redeliver']);
    const seen = new Set<string>();
    for (const { method, path, status } of answers.filter((answer) => answer.path.startsWith('/webhooks'))) {
      const template = templates.find((candidate) => new RegExp(`^${candidate.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path))!;
      const name = `${method} ${template} ${status}`;
      if (seen.has(name)) continue;
      seen.add(name);
      t.ok(document.paths[template][method.toLowerCase()].responses[String(status)], `${name} is documented`);
    }
    t.ok(seen.size >= 12, `distinct answers checked (${seen.size})`);
  });
});

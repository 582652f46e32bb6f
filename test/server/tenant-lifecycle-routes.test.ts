// The tenant lifecycle routes against the real local target (engine, object store, database):
// PATCH /tenants/:id and retry, drift checks, the operation history and cancel, and tenant keys, each with its
// error answers and proof that they wrote nothing. Operations are held queued or running by
// freezing the object store (SIGSTOP), never by timing: an `up` waits on its bucket call.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { DeleteBucketCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { listFunctions, listTriggers, unregisterTrigger } from '../../src/domain/local-registrations.js';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { processFreezer } from '../helpers/processes.js';
import { startTestService } from '../helpers/service.js';
import { tempDir } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';
import { expectProblem, json, type Json } from '../helpers/http.js';
import { imageInfo, makeVideo } from '../helpers/videos.js';
import { readEventStream } from './sse-client.js';

t.test('tenant lifecycle routes on the local target', async (t) => {
  const service = await startTestService(t);
  const { api } = service;
  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());

  const { freeze, thaw } = processFreezer(t, service.objectStorePid());

  const tenant = async (id: string) => json(await api(`/tenants/${id}`));
  const history = async (id: string) => (await json(await api(`/tenants/${id}/operations?limit=100`))).items as Json[];
  const operationOf = async (id: string, operationId: string) => (await history(id)).find((operation) => operation.id === operationId)!;
  const finished = (id: string, operationId: string) =>
    eventually(async () => {
      const operation = await operationOf(id, operationId);
      return ['succeeded', 'failed', 'interrupted', 'cancelled'].includes(operation.status) ? operation : undefined;
    }, `operation ${operationId} to finish`);
  /** Waits for the operation to end, and checks it succeeded (the error, if not, in the message). */
  const succeeded = async (t: Test, id: string, operationId: string, what: string) => {
    const operation = await finished(id, operationId);
    t.equal(operation.status, 'succeeded', `${what}${operation.error ? `: ${operation.error}` : ''}`);
    return operation;
  };
  /** What a refused request must leave as it was (an operation's own progress aside). */
  const snapshot = async (id: string) => {
    const { settings, settingsVersion, status, lastOperation } = await tenant(id);
    return { settings, settingsVersion, status, lastOperation: lastOperation?.id, operations: (await history(id)).map((operation) => operation.id) };
  };

  // The first `up` of each tenant stays running on its bucket call until the store thaws.
  freeze();
  const acme = await json(await api('/tenants', { method: 'POST', json: { id: 'acme', thumbnail: { widths: [96, 160] } } }));
  const globex = await json(await api('/tenants', { method: 'POST', json: { id: 'globex' } }));
  const keyA = acme.apiKey as string;
  const first = acme.operation.id as string;
  await eventually(async () => (await operationOf('acme', first)).status === 'running', "acme's first up running");

  let coalesced = '';
  t.test('PATCH queues an up behind the running one; a second PATCH coalesces into it', async (t) => {
    const patched = await api('/tenants/acme', { method: 'PATCH', json: { thumbnail: { widths: [200] } } });
    t.equal(patched.status, 202);
    const body = await json(patched);
    t.match(body, { id: 'acme', status: 'provisioning', operation: { kind: 'up', status: 'queued', settingsVersion: 2 } });
    t.not(body.operation.id, first, 'a new operation: the running one has read its settings already');
    coalesced = body.operation.id;
    const again = await json(await api('/tenants/acme', { method: 'PATCH', json: { thumbnail: { widths: [240], format: 'webp' } } }));
    t.match(again, { status: 'provisioning', operation: { id: coalesced, status: 'queued', settingsVersion: 3 } }, 'the queued up takes the latest settings');
    const now = await tenant('acme');
    t.match(now, { settings: { widths: [240], format: 'webp', at: DEFAULT_THUMBNAIL_SETTINGS.at }, settingsVersion: 3, lastOperation: { id: coalesced } });
    t.notOk('appliedSettingsVersion' in now, 'nothing applied yet');
    t.same((await history('acme')).map((operation) => operation.id), [coalesced, first], 'two operations, not three');
  });

  t.test('PATCH refuses bad settings, unknown tenants and tenant keys, writing nothing', async (t) => {
    const before = await snapshot('acme');
    for (const body of [{}, { thumbnail: { widths: [] } }, { thumbnail: { widths: [8] } }, { thumbnail: { format: 'gif' } }, { thumbnail: { colour: 'red' } }, { thumbnail: {}, extra: 1 }]) {
      await expectProblem(t, await api('/tenants/acme', { method: 'PATCH', json: body }), 400, `body ${JSON.stringify(body)}`);
    }
    await expectProblem(t, await api('/tenants/nobody', { method: 'PATCH', json: { thumbnail: {} } }), 404, 'unknown tenant');
    await expectProblem(t, await api('/tenants/acme', { method: 'PATCH', token: keyA, json: { thumbnail: {} } }), 403, "the tenant's own key");
    await expectProblem(t, await api('/tenants/acme', { method: 'PATCH', token: null, json: { thumbnail: {} } }), 401, 'no token');
    t.same(await snapshot('acme'), before, 'settings, version and operations unchanged');
    t.equal((await api('/tenants/nobody')).status, 404, 'no tenant created');
  });

  t.test('cancel drops a queued operation; an ended one answers 409', async (t) => {
    const before = await snapshot('acme');
    await expectProblem(t, await api(`/tenants/acme/operations/${coalesced}/cancel`, { method: 'POST', token: keyA }), 403, 'a tenant key');
    await expectProblem(t, await api(`/tenants/acme/operations/${coalesced}/cancel`, { method: 'POST', token: null }), 401, 'no token');
    await expectProblem(t, await api(`/tenants/globex/operations/${coalesced}/cancel`, { method: 'POST' }), 404, "another tenant's operation");
    await expectProblem(t, await api('/tenants/acme/operations/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel', { method: 'POST' }), 404, 'no such operation');
    await expectProblem(t, await api(`/tenants/nobody/operations/${coalesced}/cancel`, { method: 'POST' }), 404, 'no such tenant');
    t.same(await snapshot('acme'), before, 'the refused cancels changed nothing');

    const cancelled = await api(`/tenants/acme/operations/${coalesced}/cancel`, { method: 'POST' });
    t.equal(cancelled.status, 202);
    t.match(await json(cancelled), { id: coalesced, kind: 'up', status: 'cancelled', attempt: 0, finishedAt: String, error: /cancelled/ });
    t.match(await tenant('acme'), { status: 'provisioning', settingsVersion: 3, lastOperation: { id: first, status: 'running' } }, 'the tenant follows the running up again');
    const ended = await expectProblem(t, await api(`/tenants/acme/operations/${coalesced}/cancel`, { method: 'POST' }), 409, 'an ended operation');
    t.match(ended.detail, /already ended \(cancelled\)/);
  });

  t.test('GET /tenants/:id/operations pages the history newest first', async (t) => {
    const pages: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await json(await api(`/tenants/acme/operations?limit=1${cursor ? `&cursor=${cursor}` : ''}`));
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);
    t.same(pages.map((page) => page.items.map((operation: Json) => operation.id)), [[coalesced], [first]], 'one per page, newest first');
    t.match(pages.at(-1), { nextCursor: null });
    const byTenant = await api('/tenants/acme/operations', { token: keyA });
    t.equal(byTenant.status, 200, 'the tenant reads its own history');
    t.same((await json(byTenant)).items.map((operation: Json) => operation.status), ['cancelled', 'running']);

    const globexFirst = globex.operation.id as string;
    await expectProblem(t, await api(`/tenants/acme/operations?cursor=${globexFirst}`), 400, "a cursor from another tenant's list");
    await expectProblem(t, await api('/tenants/acme/operations?cursor=nonsense'), 400, 'a made-up cursor');
    await expectProblem(t, await api('/tenants/acme/operations?limit=0'), 400, 'limit 0');
    await expectProblem(t, await api('/tenants/acme/operations?limit=101'), 400, 'limit over 100');
    await expectProblem(t, await api('/tenants/globex/operations', { token: keyA }), 404, "another tenant's history");
    await expectProblem(t, await api('/tenants/nobody/operations'), 404, 'unknown tenant');
    await expectProblem(t, await api('/tenants/acme/operations', { token: null }), 401, 'no token');
  });

  t.test('keys: several per tenant, shown once, listed by prefix, revoked at once', async (t) => {
    const created = await api('/tenants/acme/keys', { method: 'POST' });
    t.equal(created.status, 201);
    const key = await json(created);
    t.match(key, { id: String, apiKey: /^tf_acme_[A-Za-z0-9_-]{40,}$/, prefix: /^tf_acme_[A-Za-z0-9_-]{6}$/, createdAt: String });
    t.ok(key.apiKey.startsWith(key.prefix), 'the prefix is the start of the key');
    t.equal((await api('/tenants/acme', { token: key.apiKey })).status, 200, 'the new key works');
    t.equal((await api('/tenants/acme', { token: keyA })).status, 200, 'and so does the first');

    const listed = await json(await api('/tenants/acme/keys'));
    t.equal(listed.items.length, 2);
    t.same(listed.items.map((item: Json) => item.id)[0], key.id, 'newest first');
    t.ok(keyA.startsWith(listed.items[1].prefix), "the first key's prefix");
    t.ok(listed.items.every((item: Json) => typeof item.lastUsedAt === 'string'), 'both were used, and say when');
    t.notMatch(JSON.stringify(listed), key.apiKey.slice(key.prefix.length), 'a listing never shows a key');
    t.notMatch(JSON.stringify(listed), keyA.slice(listed.items[1].prefix.length), 'nor the first');
    const paged = await json(await api('/tenants/acme/keys?limit=1'));
    t.same(paged.items.map((item: Json) => item.id), [key.id]);
    t.same((await json(await api(`/tenants/acme/keys?limit=1&cursor=${paged.nextCursor}`))).items.map((item: Json) => item.id), [listed.items[1].id]);

    const globexKey = (await json(await api('/tenants/globex/keys'))).items[0].id as string;
    const before = await json(await api('/tenants/acme/keys'));
    await expectProblem(t, await api('/tenants/acme/keys', { method: 'POST', token: keyA }), 403, 'a tenant making keys');
    await expectProblem(t, await api('/tenants/acme/keys', { token: keyA }), 403, 'a tenant listing keys');
    await expectProblem(t, await api(`/tenants/acme/keys/${key.id}`, { method: 'DELETE', token: keyA }), 403, 'a tenant revoking keys');
    await expectProblem(t, await api('/tenants/acme/keys', { method: 'POST', token: null }), 401, 'no token');
    await expectProblem(t, await api('/tenants/nobody/keys', { method: 'POST' }), 404, 'keys for an unknown tenant');
    await expectProblem(t, await api('/tenants/nobody/keys'), 404, 'the keys of an unknown tenant');
    await expectProblem(t, await api(`/tenants/acme/keys/${globexKey}`, { method: 'DELETE' }), 404, "another tenant's key");
    await expectProblem(t, await api('/tenants/acme/keys/01ARZ3NDEKTSV4RRFFQ69G5FAV', { method: 'DELETE' }), 404, 'no such key');
    await expectProblem(t, await api('/tenants/acme/keys?cursor=nonsense'), 400, 'a made-up cursor');
    t.same((await json(await api('/tenants/acme/keys'))).items.map((item: Json) => item.id), before.items.map((item: Json) => item.id), 'no key made or revoked');
    t.equal((await json(await api('/tenants/globex/keys'))).items.length, 1, "globex's key untouched");

    const revoked = await api(`/tenants/acme/keys/${key.id}`, { method: 'DELETE' });
    t.equal(revoked.status, 204);
    await expectProblem(t, await api('/tenants/acme', { token: key.apiKey }), 401, 'the revoked key, on the very next request');
    await expectProblem(t, await api('/tenants/acme/operations', { token: key.apiKey }), 401, 'on every route');
    t.equal((await api('/tenants/acme', { token: keyA })).status, 200, 'the other key still works');
    t.same((await json(await api('/tenants/acme/keys'))).items.map((item: Json) => item.id), [listed.items[1].id], 'the revoked key is no longer listed');
    await expectProblem(t, await api(`/tenants/acme/keys/${key.id}`, { method: 'DELETE' }), 404, 'revoking it again');
  });

  t.test('cancel of a running operation ends its engine run, refreshes the stack and leaves a truthful status', async (t) => {
    const asked = await api(`/tenants/acme/operations/${first}/cancel`, { method: 'POST' });
    t.equal(asked.status, 202);
    const running = await json(asked);
    t.match(running, { id: first, status: 'running', cancelRequestedAt: String }, 'it ends on its replica');
    t.match(await json(await api(`/tenants/acme/operations/${first}/cancel`, { method: 'POST' })), { status: 'running', cancelRequestedAt: running.cancelRequestedAt }, 'asking again changes nothing');
    // The engine waits on its bucket call in the frozen store: the replica's cancel event shows it has been told to stop.
    await readEventStream(await api('/tenants/acme/events'), (message) => message.event === 'engine' && Boolean((message.data as Json).event?.cancelEvent));
    thaw();
    const ended = await finished('acme', first);
    t.match(ended, { status: 'cancelled', error: /^cancelled while running; the stack was refreshed/ });
    t.match(await tenant('acme'), { status: 'failed', lastOperation: { id: first, status: 'cancelled' } }, 'a tenant cancelled while provisioning is failed: a retry resumes it');
    t.notOk((await tenant('acme')).outputs, 'and shows no outputs');
    await expectProblem(t, await api(`/tenants/acme/operations/${first}/cancel`, { method: 'POST' }), 409, 'once it has ended');
  });

  t.test('a PATCH after the cancels queues a new up with the latest settings; the dropped one never ran', async (t) => {
    const patched = await json(await api('/tenants/acme', { method: 'PATCH', json: { thumbnail: { widths: [200] } } }));
    t.match(patched, { status: 'provisioning', operation: { kind: 'up', status: /^(queued|running)$/, settingsVersion: 4 } });
    t.not(patched.operation.id, coalesced, 'a cancelled operation takes no more settings: a new one is queued');
    const requeued = patched.operation.id as string;
    t.match(await succeeded(t, 'acme', requeued, 'the requeued up'), { settingsVersion: 4 });
    t.same((await history('acme')).map((operation) => operation.id), [requeued, coalesced, first]);
    t.match(await operationOf('acme', coalesced), { status: 'cancelled', attempt: 0 });
    t.notOk((await operationOf('acme', coalesced)).startedAt, 'its job was cancelled: no replica started it');
    t.match(await tenant('acme'), { status: 'ready', settings: { widths: [200] }, settingsVersion: 4, appliedSettingsVersion: 4, lastOperation: { id: requeued } });
    const registered = (await listFunctions(service.dataDir)).find((fn) => fn.bucket === bucketName('acme'));
    t.same(registered?.settings.widths, [200], 'the function has the latest settings');
  });

  t.test('PATCH on a ready tenant updates its function in place: the bucket and its objects stay; new videos get the new outputs', async (t) => {
    const bucket = bucketName('acme');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept/object.txt', Body: 'kept across updates' }));
    const patched = await json(await api('/tenants/acme', { method: 'PATCH', json: { thumbnail: { widths: [128], format: 'webp' } } }));
    t.match(patched, { id: 'acme', status: 'updating', operation: { kind: 'up', settingsVersion: 5 } });
    await succeeded(t, 'acme', patched.operation.id, 'the update');
    t.match(await tenant('acme'), { status: 'ready', settingsVersion: 5, appliedSettingsVersion: 5, outputs: { bucket } });
    const registered = (await listFunctions(service.dataDir)).find((fn) => fn.bucket === bucket);
    t.match(registered?.settings, { widths: [128], format: 'webp' }, 'the function registration has the new settings');
    t.ok(await s3.send(new HeadBucketCommand({ Bucket: bucket })), 'the bucket is still there');
    t.ok(await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'kept/object.txt' })), 'with its object');
    const { messages } = await readEventStream(await api('/tenants/acme/events'));
    const summary = messages.map((message) => (message.data as Json).event?.summaryEvent).find(Boolean);
    t.match(summary?.resourceChanges, { update: 1 }, 'the engine updated one resource');
    t.notOk(summary?.resourceChanges.create || summary?.resourceChanges.replace || summary?.resourceChanges.delete, 'and created, replaced or deleted none');

    const dir = await tempDir(t);
    const form = new FormData();
    form.append('file', new Blob([await readFile(await makeVideo(dir, { name: 'clip.mp4', seconds: 2 }))]), 'clip.mp4');
    const uploaded = await json(await api('/videos', { method: 'POST', token: keyA, body: form }));
    const ready = await eventually(async () => {
      const video = await json(await api(`/videos/${uploaded.id}`, { token: keyA }));
      return video.status === 'ready' ? video : undefined;
    }, 'the new video ready');
    t.same(ready.thumbnails.map((link: Json) => link.width), [128]);
    const image = await fetch(ready.thumbnails[0].url);
    t.match(await imageInfo(Buffer.from(await image.arrayBuffer())), { codec: 'webp', width: 128 }, 'made with the new settings');
  });

  t.test('retry on a ready tenant runs up again; a second retry while it is on its way answers 409', async (t) => {
    freeze();
    const retried = await api('/tenants/acme/retry', { method: 'POST' });
    t.equal(retried.status, 202);
    const body = await json(retried);
    t.match(body, { id: 'acme', status: 'updating', operation: { kind: 'up' } });
    const before = await snapshot('acme');
    await expectProblem(t, await api('/tenants/acme/retry', { method: 'POST' }), 409, 'a second retry');
    t.same(await snapshot('acme'), before, 'queued nothing');
    thaw();
    await succeeded(t, 'acme', body.operation.id, 'the retry');
    t.match(await tenant('acme'), { status: 'ready', settingsVersion: 5, appliedSettingsVersion: 5 });
  });

  t.test('POST /tenants/:id/refresh reports drift: a bucket and a trigger removed behind Pulumi\'s back; an up repairs them', async (t) => {
    await eventually(async () => (await tenant('globex')).status === 'ready', 'globex ready');
    t.match((await tenant('globex')).drift, { status: 'in-sync', changes: [] }, 'an up that succeeded leaves the tenant in sync');
    const checked = await api('/tenants/globex/refresh', { method: 'POST' });
    t.equal(checked.status, 202);
    const check = await json(checked);
    t.match(check, { id: 'globex', status: 'ready', operation: { kind: 'refresh' } }, 'the tenant stays ready');
    await succeeded(t, 'globex', check.operation.id, 'the clean check');
    const clean = await tenant('globex');
    t.match(clean.drift, { status: 'in-sync', checkedAt: String, changes: [] });
    t.not(clean.lastOperation.id, check.operation.id, 'a drift check is history, not the operation that decides the status');

    const bucket = bucketName('globex');
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    await unregisterTrigger(service.dataDir, bucket);
    const drifted = await json(await api('/tenants/globex/refresh', { method: 'POST' }));
    await succeeded(t, 'globex', drifted.operation.id, 'the check after the removal');
    const found = await tenant('globex');
    t.match(found, { status: 'ready', drift: { status: 'drifted' } });
    t.same(found.drift.changes.map((change: Json) => [change.op, change.name]), [['delete', 'bucket'], ['delete', 'trigger']], 'both named as gone');
    t.ok(Date.parse(found.drift.checkedAt) >= Date.parse(clean.drift.checkedAt), 'checked again');

    const before = await snapshot('globex');
    await expectProblem(t, await api('/tenants/globex/refresh', { method: 'POST', token: keyA }), 403, 'a tenant key');
    await expectProblem(t, await api('/tenants/globex/refresh', { method: 'POST', token: null }), 401, 'no token');
    await expectProblem(t, await api('/tenants/nobody/refresh', { method: 'POST' }), 404, 'unknown tenant');
    t.same(await snapshot('globex'), before, 'queued nothing');

    const repair = await json(await api('/tenants/globex/retry', { method: 'POST' }));
    await succeeded(t, 'globex', repair.operation.id, 'the repairing up');
    t.ok(await s3.send(new HeadBucketCommand({ Bucket: bucket })), 'the bucket is created again');
    t.ok((await listTriggers(service.dataDir)).some((trigger) => trigger.bucket === bucket), 'and the trigger registered again');
    const again = await json(await api('/tenants/globex/refresh', { method: 'POST' }));
    await succeeded(t, 'globex', again.operation.id, 'the check after the repair');
    t.match((await tenant('globex')).drift, { status: 'in-sync', changes: [] }, 'in sync again');
  });

  t.test('PATCH on a tenant being deleted answers 409; once it is gone, 404', async (t) => {
    freeze();
    const deleted = await json(await api('/tenants/acme', { method: 'DELETE' }));
    const before = await snapshot('acme');
    t.equal(before.status, 'deleting');
    const refused = await expectProblem(t, await api('/tenants/acme', { method: 'PATCH', json: { thumbnail: {} } }), 409, 'while deleting');
    t.match(refused.detail, /being deleted/);
    await expectProblem(t, await api('/tenants/acme/refresh', { method: 'POST' }), 409, 'a drift check while deleting');
    t.same(await snapshot('acme'), before, 'nothing written');
    thaw();
    await eventually(async () => (await api('/tenants/acme')).status === 404, 'acme gone');
    t.equal(deleted.operation.kind, 'destroy');
    await expectProblem(t, await api('/tenants/acme', { method: 'PATCH', json: { thumbnail: {} } }), 404, 'a deleted tenant');
    await expectProblem(t, await api('/tenants/acme/keys', { method: 'POST' }), 404, 'keys for a deleted tenant');
    await expectProblem(t, await api('/tenants/acme', { token: keyA }), 401, "the deleted tenant's key");
  });

  t.test('the OpenAPI document describes every new route and its problems', async (t) => {
    const document = await json(await api('/openapi.json', { token: null }));
    const responses = (path: string, method: string) => Object.keys(document.paths[path]?.[method]?.responses ?? {}).sort();
    t.same(responses('/tenants/{id}', 'patch'), ['202', '400', '401', '403', '404', '409', '429', '431', '503']);
    t.same(responses('/tenants/{id}/operations', 'get'), ['200', '400', '401', '404', '429', '431', '503']);
    t.same(responses('/tenants/{id}/operations/{operationId}/cancel', 'post'), ['202', '400', '401', '403', '404', '409', '429', '431', '503']);
    t.same(responses('/tenants/{id}/keys', 'post'), ['201', '400', '401', '403', '404', '429', '431', '503']);
    t.same(responses('/tenants/{id}/keys', 'get'), ['200', '400', '401', '403', '404', '429', '431', '503']);
    t.same(responses('/tenants/{id}/keys/{keyId}', 'delete'), ['204', '400', '401', '403', '404', '429', '431', '503']);
    t.same(responses('/tenants/{id}/refresh', 'post'), ['202', '400', '401', '403', '404', '409', '429', '431', '503']);
    t.same(responses('/tenants/{id}/retry', 'post'), ['202', '400', '401', '403', '404', '409', '429', '431', '503']);
  });
});

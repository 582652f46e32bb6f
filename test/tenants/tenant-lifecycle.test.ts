// The tenant lifecycle with the real engine on the local target, on the embedded database and the
// job engine: concurrent provisioning, one operation per tenant, keys, destroy, a failing up and
// its retry, the event stream, stack settings kept in the database, each ended operation reported
// to the metrics sink.
import t from 'tap';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { TenantExists, OperationNotAllowed, TenantNotFound } from '../../src/domain/errors.js';
import { listFunctions, listTriggers } from '../../src/domain/local-registrations.js';
import { videoTriggerFilters } from '../../src/stacks/trigger-filters.js';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import type { OperationStreamItem } from '../../src/tenants/tenant-types.js';
import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import { stackSettingsOf } from '../../src/tenants/tenant-records.js';
import { testS3Client } from '../helpers/local-store.js';
import { bucketExists, eventually, finished, localTestTarget, openTestTenants } from '../helpers/stacks.js';

const settings = DEFAULT_THUMBNAIL_SETTINGS;

const bounded = () => AbortSignal.timeout(300_000);

t.test('tenants provisioned at once become ready, one operation per tenant; destroy removes stack and bucket', async (t) => {
  const env = await localTestTarget(t);
  const replica = await openTestTenants(t, env);
  const service = replica.tenants;
  const s3 = testS3Client(env.store);

  const attempts = await Promise.allSettled([
    ...Array.from({ length: 5 }, () => service.provision({ id: 'acme', settings })),
    service.provision({ id: 'beta', settings }),
    service.provision({ id: 'gamma', settings: { ...settings, widths: [200] } }),
  ]);
  const acme = attempts.slice(0, 5);
  t.equal(acme.filter((a) => a.status === 'fulfilled').length, 1, 'one of five identical requests is accepted');
  t.ok(acme.filter((a) => a.status === 'rejected').every((a) => (a as PromiseRejectedResult).reason instanceof TenantExists), 'the others get TenantExists');
  const operations = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value.operation] : []));
  t.equal(operations.length, 3);
  t.same(operations.map((o) => [o.kind, o.status]), [['up', 'queued'], ['up', 'queued'], ['up', 'queued']]);

  const results = await Promise.all(operations.map((o) => finished(service, o.id)));
  t.same(results.map((o) => o.status), ['succeeded', 'succeeded', 'succeeded'], results.map((o) => o.error).join(' '));

  for (const id of ['acme', 'beta', 'gamma']) {
    const tenant = (await service.get(id))!;
    t.equal(tenant.status, 'ready', `${id} is ready`);
    t.equal(tenant.outputs?.bucket, bucketName(id));
    t.equal(tenant.appliedSettingsVersion, tenant.settingsVersion, 'the applied settings are the desired ones');
    t.ok(await bucketExists(env.store, bucketName(id)), `${id} has its own bucket`);
    t.match(await stackSettingsOf(replica.db, id), { encryptionSalt: /^v1:/ }, `${id}'s passphrase salt is kept in its row, not in a work dir`);
  }
  t.equal(new Set((await service.list()).map((tenant) => tenant.outputs?.bucket)).size, 3);
  const acmeKey = attempts.find((a) => a.status === 'fulfilled' && a.value.tenant.id === 'acme') as PromiseFulfilledResult<{ apiKey: string }>;
  t.equal(await service.authenticate(acmeKey.value.apiKey), 'acme', 'the key shown at creation authenticates its tenant');
  t.equal(await service.authenticate(`${acmeKey.value.apiKey}x`), undefined, 'an altered key does not');
  const triggers = await listTriggers(env.dataDir);
  t.equal(triggers.length, 3);
  t.same(triggers.find((trigger) => trigger.bucket === bucketName('acme'))?.filters, videoTriggerFilters(), 'the trigger carries the shared filters');
  t.same((await listFunctions(env.dataDir)).find((fn) => fn.bucket === bucketName('gamma'))?.settings.widths, [200]);

  // The event stream replays a finished operation from the first event and ends with done.
  const items: OperationStreamItem[] = [];
  for await (const item of service.events(operations[0]!.id, 0, AbortSignal.timeout(300_000))) items.push(item);
  t.ok(items.length > 5, 'engine events were kept');
  t.same(items.at(-1), { type: 'done', data: { operationId: operations[0]!.id, status: 'succeeded' } });
  t.same(items.slice(0, -1).map((item) => (item.type === 'event' ? item.data.seq : 0)), items.slice(0, -1).map((_, i) => i + 1), 'in order, none missing');

  await s3.send(new PutObjectCommand({ Bucket: bucketName('acme'), Key: 'videos/y/clip.mp4', Body: 'kept across updates' }));
  // Destroy empties the bucket (it holds a video) and removes the stack; a second request gets the same operation.
  await s3.send(new PutObjectCommand({ Bucket: bucketName('beta'), Key: 'videos/x/clip.mp4', Body: 'not really a video' }));
  const [first, second] = await Promise.all([service.destroy('beta'), service.destroy('beta')]);
  t.equal(first.id, second.id, 'one destroy operation');
  t.equal((await service.get('beta'))?.status, 'deleting');
  t.equal((await finished(service, first.id)).status, 'succeeded');
  t.equal(await service.get('beta'), undefined, 'the tenant record is gone');
  t.notOk(await bucketExists(env.store, bucketName('beta')), 'the bucket is gone');
  t.notOk(await replica.stacks.exists('beta', bounded()), 'the stack is removed');
  t.notOk((await listTriggers(env.dataDir)).some((trigger) => trigger.bucket === bucketName('beta')), 'the trigger is unregistered');
  t.type(await service.destroy('beta').catch((error: unknown) => error), TenantNotFound);

  // Preview: an existing tenant with new settings updates the function in place; a new one creates three.
  const change = await service.preview('acme', { ...settings, format: 'webp' }, bounded());
  // The engine counts the stack itself among the unchanged.
  t.same(change.changes, { create: 0, update: 1, delete: 0, same: 3 });
  t.same(change.steps.filter((step) => step.op === 'update').map((step) => step.name), ['function']);
  // Two previews of one new tenant at once each plan on a throwaway stack of their own.
  const [fresh, twin] = await Promise.all([service.preview('delta', undefined, bounded()), service.preview('delta', undefined, bounded())]);
  t.same(twin.changes, fresh.changes, 'concurrent previews of a new tenant both plan');
  t.same(fresh.changes, { create: 4, update: 0, delete: 0, same: 0 }, 'the stack and its three resources');
  t.same(fresh.steps.map((step) => [step.op, step.name]), [['create', 'bucket'], ['create', 'function'], ['create', 'trigger']]);
  t.notOk(await replica.stacks.exists('delta', bounded()), 'preview leaves no stack behind');
  t.equal((await service.get('acme'))?.settings.format, 'jpeg', 'preview changes nothing');

  // A settings change through the stacks layer, in a fresh work dir with the row's stack settings:
  // the function's registration is updated in place, the bucket kept.
  const events: EngineEvent[] = [];
  const stackSettings = (await stackSettingsOf(replica.db, 'acme')) as never;
  const context = { tenantId: 'acme', settings: { ...settings, format: 'webp' as const }, stackSettings, saveStackSettings: async () => void t.fail('the stack settings are unchanged') };
  await replica.stacks.up(context, { signal: bounded(), onEvent: (event) => events.push(event) });
  const acmeFunction = (await listFunctions(env.dataDir)).find((fn) => fn.bucket === bucketName('acme'));
  t.equal(acmeFunction?.settings.format, 'webp', 'the function registration has the new settings');
  t.same(events.find((event) => event.summaryEvent)?.summaryEvent?.resourceChanges, { update: 1, same: 3 }, 'the engine updated one resource, replaced and created none');
  const ops = Object.fromEntries(events.flatMap((event) => (event.resOutputsEvent ? [[event.resOutputsEvent.metadata.urn.split('::').at(-1), event.resOutputsEvent.metadata.op]] : [])));
  t.match(ops, { bucket: 'same', function: 'update', trigger: 'same' });
  t.ok(await s3.send(new HeadObjectCommand({ Bucket: bucketName('acme'), Key: 'videos/y/clip.mp4' })), 'the bucket kept its objects');
});

t.test('an up the object store refuses leaves the tenant failed with a readable error; retry succeeds', async (t) => {
  const env = await localTestTarget(t);
  const ended: Array<{ kind: string; outcome: string; seconds: number }> = [];
  const service = (await openTestTenants(t, env, { metrics: { operationFinished: (operation) => ended.push(operation) } })).tenants;
  // A plain file where the store keeps the bucket's directory: the store refuses to create it.
  const blocker = join(env.store.dataDir, 'buckets', bucketName('acme'));
  await writeFile(blocker, 'in the way');

  const { operation } = await service.provision({ id: 'acme', settings });
  const failed = await finished(service, operation.id);
  t.equal(failed.status, 'failed');
  t.match(failed.error, /cannot create bucket "thumbforge-acme"/, 'the error names what failed');
  t.ok(failed.error!.length < 2000, 'and stays short');
  t.equal((await service.get('acme'))?.status, 'failed');
  t.equal((await service.get('acme'))?.outputs, undefined);
  t.same(await listTriggers(env.dataDir), [], 'nothing was registered');

  await rm(blocker);
  const retry = await service.retry('acme');
  t.equal((await service.get('acme'))?.status, 'provisioning');
  // A destroy requested while the retry runs queues behind it instead of colliding with it.
  const destroy = await service.destroy('acme');
  t.type(await service.retry('acme').catch((error: unknown) => error), OperationNotAllowed, 'a tenant with an operation on its way cannot be retried');
  t.equal((await finished(service, retry.id)).status, 'succeeded');
  t.not((await service.get('acme'))?.status, 'ready', 'the queued destroy keeps the tenant out of ready');
  t.ok(await bucketExists(env.store, bucketName('acme')), 'the retry created the bucket');
  t.equal((await finished(service, destroy.id)).status, 'succeeded', 'then the destroy ran');
  t.equal(await service.get('acme'), undefined);
  t.notOk(await bucketExists(env.store, bucketName('acme')));
  // Reported just after each end is recorded.
  await eventually(() => ended.length === 3, 'three operations reported');
  t.match(ended, [{ kind: 'up', outcome: 'failed' }, { kind: 'up', outcome: 'succeeded' }, { kind: 'destroy', outcome: 'succeeded' }], 'each ended operation reported, in order');
  t.ok(ended.every((operation) => operation.seconds > 0), 'with how long it ran');
});

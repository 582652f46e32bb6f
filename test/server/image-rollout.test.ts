// POST /rollouts and GET /rollouts/:id against the real local target: an `up` for every ready
// tenant, at most `concurrency` at a time, with progress, and the refusals that write nothing. The
// rollout is held on its first `up` by freezing the object store (SIGSTOP), never by timing.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { processFreezer } from '../helpers/processes.js';
import { startTestService } from '../helpers/service.js';
import { eventually } from '../helpers/stacks.js';
import { expectProblem, json, type Json } from '../helpers/http.js';

const READY = ['roll-a', 'roll-b', 'roll-c'];
const FAILED = 'roll-failed';
const UNKNOWN_ROLLOUT = '01J00000000000000000000000';

t.test('image rollouts on the local target', async (t) => {
  const service = await startTestService(t);
  const { api } = service;
  const { freeze, thaw } = processFreezer(t, service.objectStorePid());
  const tenant = async (id: string) => json(await api(`/tenants/${id}`));
  const history = async (id: string) => (await json(await api(`/tenants/${id}/operations?limit=100`))).items as Json[];
  const histories = async () => Object.fromEntries(await Promise.all([...READY, FAILED].map(async (id) => [id, (await history(id)).map((operation) => operation.id)])));

  // Three ready tenants, and one whose bucket the store refuses (a plain file where its directory goes): failed.
  await writeFile(join(service.dataDir, 'buckets', bucketName(FAILED)), 'in the way');
  const keys: string[] = [];
  for (const id of [...READY, FAILED]) keys.push((await json(await api('/tenants', { method: 'POST', json: { id } }))).apiKey);
  for (const id of READY) await eventually(async () => ((await tenant(id)).status === 'ready' ? true : undefined), `${id} ready`);
  await eventually(async () => ((await tenant(FAILED)).status === 'failed' ? true : undefined), `${FAILED} failed`);

  t.test('refusals: bad bodies, tenant keys, no token, unknown rollouts; no operation queued', async (t) => {
    const before = await histories();
    for (const body of [{ concurrency: 0 }, { concurrency: 17 }, { concurrency: 1.5 }, { concurrency: '2' }, { extra: 1 }]) {
      await expectProblem(t, await api('/rollouts', { method: 'POST', json: body }), 400, `body ${JSON.stringify(body)}`);
    }
    await expectProblem(t, await api('/rollouts', { method: 'POST', token: keys[0] }), 403, 'a tenant key');
    await expectProblem(t, await api('/rollouts', { method: 'POST', token: null }), 401, 'no token');
    await expectProblem(t, await api(`/rollouts/${UNKNOWN_ROLLOUT}`), 404, 'an unknown rollout');
    await expectProblem(t, await api('/rollouts/not-an-id'), 400, 'a malformed id');
    await expectProblem(t, await api(`/rollouts/${UNKNOWN_ROLLOUT}`, { token: keys[0] }), 403, 'a tenant key reading one');
    t.same(await histories(), before, 'no tenant got an operation');
  });

  t.test('a rollout runs one up per ready tenant, one at a time, and says where it stands', async (t) => {
    const before = await histories();
    // Its first up stays running on its bucket call until the store thaws.
    freeze();
    const started = await api('/rollouts', { method: 'POST', json: { concurrency: 1 } });
    t.equal(started.status, 202);
    const rollout = await json(started);
    t.match(rollout, { status: 'running', concurrency: 1, total: READY.length });
    t.same(rollout.tenants.map((member: Json) => member.id), READY, 'the ready tenants, not the failed one');

    const held = await eventually(async () => {
      const now = await json(await api(`/rollouts/${rollout.id}`));
      return now.counts.running === 1 ? now : undefined;
    }, 'the first up running');
    t.match(held.counts, { running: 1, queued: 0, pending: 2, succeeded: 0 }, 'one on its way, the others waiting');
    const second = await api('/rollouts', { method: 'POST' });
    await expectProblem(t, second, 409, 'a second rollout while one runs');
    const pending = held.tenants.filter((member: Json) => member.status === 'pending').map((member: Json) => member.id);
    for (const id of pending) t.same((await history(id)).map((operation) => operation.id), before[id], `${id} has no new operation yet`);

    thaw();
    const finished = await eventually(async () => {
      const now = await json(await api(`/rollouts/${rollout.id}`));
      return now.status === 'finished' ? now : undefined;
    }, 'the rollout finished');
    t.match(finished.counts, { succeeded: READY.length, pending: 0, running: 0, failed: 0, skipped: 0 });
    t.ok(finished.finishedAt, 'with its end time');

    const ups: Json[] = [];
    for (const member of finished.tenants) {
      const operations = await history(member.id);
      t.equal(operations.length, before[member.id].length + 1, `${member.id}: one new operation`);
      t.match(operations[0], { id: member.operationId, kind: 'up', status: 'succeeded' }, `${member.id}: the rollout's up, succeeded`);
      t.equal((await tenant(member.id)).status, 'ready');
      ups.push(operations[0]!);
    }
    ups.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (let index = 1; index < ups.length; index++) {
      t.ok(ups[index]!.startedAt >= ups[index - 1]!.finishedAt, `up ${index + 1} started after up ${index} ended (concurrency 1)`);
    }
    t.same(await history(FAILED).then((operations) => operations.map((operation) => operation.id)), before[FAILED], 'the failed tenant was left alone');
  });
});

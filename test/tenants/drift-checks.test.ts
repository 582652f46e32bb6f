// The scheduled drift check on the real engine and job engine: the schedule is stored with the
// configured cron, and its job queues a refresh for each tenant, whose result lands in the tenant's
// drift. The job is sent by the test rather than waited for, so nothing waits on the clock.
import t from 'tap';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { sendJob } from '../../src/db/job-engine.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { DRIFT_CHECKS_QUEUE, driftChecksPayload } from '../../src/tenants/drift-checks.js';
import { listOperations } from '../../src/tenants/tenant-records.js';
import { testS3Client } from '../helpers/local-store.js';
import { eventually, finished, localTestTarget, openTestTenants } from '../helpers/stacks.js';

t.test('the drift schedule is stored with its cron; its job checks every tenant', async (t) => {
  const env = await localTestTarget(t);
  const replica = await openTestTenants(t, env, { driftCheckCron: '15 4 * * *' });
  t.match(await replica.boss.getSchedule(DRIFT_CHECKS_QUEUE), { cron: '15 4 * * *', timezone: 'UTC' }, 'one schedule, in UTC');

  const created = await Promise.all(['acme', 'beta'].map((id) => replica.tenants.provision({ id, settings: DEFAULT_THUMBNAIL_SETTINGS })));
  for (const { operation } of created) t.equal((await finished(replica.tenants, operation.id)).status, 'succeeded');
  await testS3Client(env.store).send(new DeleteBucketCommand({ Bucket: bucketName('beta') }));

  await sendJob(replica.boss, DRIFT_CHECKS_QUEUE, driftChecksPayload, {});
  for (const id of ['acme', 'beta']) {
    const check = await eventually(async () => (await listOperations(replica.db, id, { limit: 1 }))?.items.find((operation) => operation.kind === 'refresh'), `${id}'s drift check queued`);
    t.equal((await finished(replica.tenants, check.id)).status, 'succeeded', `${id}'s check ran`);
  }
  t.match((await replica.tenants.get('acme'))?.drift, { status: 'in-sync', changes: [] });
  t.match((await replica.tenants.get('beta'))?.drift, { status: 'drifted', changes: [{ op: 'delete', name: 'bucket' }] }, 'the bucket deleted behind its back');
  t.equal((await replica.tenants.get('beta'))?.status, 'ready', 'a check changes no status');
});

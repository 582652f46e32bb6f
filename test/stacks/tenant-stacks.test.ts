// The Automation API adapter: its bound on calls the API takes no signal for (stack ls/select/rm,
// config, cancel, outputs): with the real CLI held mid-call by a backend that never answers, and
// frozen there, the abort still ends the call and the CLI; a stack left without its settings by an
// attempt that lost the database is made anew rather than stuck; and whether a stack exists never
// depends on another stack's checkpoint.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { engineRunsFor } from '../../src/stacks/engine-processes.js';
import { TENANT_PROJECT, createTenantStacks, type StackContext } from '../../src/stacks/tenant-stacks.js';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { eventually, localTestTarget } from '../helpers/stacks.js';

/** Settles with `promise`, or rejects with `what` once `ms` have passed: only a hang gets that far. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms for ${what}`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

t.test('an aborted signal ends a call whose CLI hangs, and the CLI with it', async (t) => {
  const env = await localTestTarget(t);
  const stacks = createTenantStacks({ ...env, scratchDir: join(env.dataDir, 'scratch') });
  t.notOk(await stacks.exists('acme', AbortSignal.timeout(300_000)), 'no stack yet (and the backend is set up)');

  // The dead backend: the stack's checkpoint is a FIFO nobody writes to, so the first call that reads
  // it (a refresh of a stack without saved settings removes it: `stack rm` reads whether it is empty)
  // blocks in that read for as long as the test wants, whatever the machine's load.
  const checkpoint = join(env.dataDir, 'state', '.pulumi', 'stacks', TENANT_PROJECT, 'acme.json');
  await mkdir(dirname(checkpoint), { recursive: true });
  execFileSync('mkfifo', [checkpoint]);

  const controller = new AbortController();
  let outcome: unknown;
  const context = { tenantId: 'acme', settings: DEFAULT_THUMBNAIL_SETTINGS, saveStackSettings: async () => {} };
  const settled = stacks.refresh(context, { signal: controller.signal }).then(
    () => (outcome = 'resolved'),
    (error: unknown) => (outcome = error),
  );
  // A non-blocking open for writing succeeds only once a reader has the FIFO open: from then on the
  // CLI waits for the checkpoint, and it waits for as long as this end stays open and silent.
  const writer = await eventually(() => {
    if (outcome !== undefined) throw new Error(`the call ended before its CLI read the checkpoint: ${String(outcome)}`);
    try {
      return { fd: openSync(checkpoint, constants.O_WRONLY | constants.O_NONBLOCK) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') return undefined;
      throw error;
    }
  }, 'the CLI to read the stack checkpoint');
  t.teardown(() => closeSync(writer.fd));
  const [run] = engineRunsFor('acme');
  t.ok(run, 'the CLI run is tagged with its stack');
  // Frozen too, as a CLI stuck in a call ignores the interrupt the abort sends first.
  process.kill(run!.cli, 'SIGSTOP');
  t.teardown(() => engineRunsFor('acme').forEach((left) => process.kill(left.cli, 'SIGKILL')));

  controller.abort(new Error('operation timed out'));
  // Nothing but the abort can end the call: the CLI never gets its checkpoint.
  t.match(await within(settled, 120_000, 'the aborted call'), { message: 'operation timed out' }, 'the call rejects with the abort reason');
  t.same(engineRunsFor('acme'), [], 'its CLI is gone');
});

t.test('a stack whose settings were never saved (the attempt lost its database) is made anew by the next up', async (t) => {
  const env = await localTestTarget(t);
  const stacks = createTenantStacks({ ...env, scratchDir: join(env.dataDir, 'scratch') });
  const signal = AbortSignal.timeout(300_000);
  const lost = { tenantId: 'acme', settings: DEFAULT_THUMBNAIL_SETTINGS, saveStackSettings: () => Promise.reject(new Error('the database is down')) };
  await t.rejects(stacks.up(lost, { signal }), { message: 'the database is down' }, 'the first attempt creates the stack, then cannot save its salt');
  t.ok(await stacks.exists('acme', signal), 'the stack exists, with its settings lost with the work dir');
  let saved: unknown;
  const outputs = await stacks.up({ ...lost, saveStackSettings: async (settings) => void (saved = settings) }, { signal });
  t.equal(outputs.bucket, bucketName('acme'), 'the next up, still with no settings, succeeds');
  t.match(saved, { encryptionSalt: /^v1:/ }, 'and saves the new stack’s salt');
});

t.test('whether a stack exists is asked of that stack alone: a checkpoint being written elsewhere does not fail it', async (t) => {
  const env = await localTestTarget(t);
  const stacks = createTenantStacks({ ...env, scratchDir: join(env.dataDir, 'scratch') });
  const signal = AbortSignal.timeout(300_000);
  t.notOk(await stacks.exists('acme', signal), 'no stack yet');
  // Another tenant's checkpoint as a reader may find it mid-write: empty. Listing the stacks reads it and fails.
  const other = join(env.dataDir, 'state', '.pulumi', 'stacks', TENANT_PROJECT, 'globex.json');
  await mkdir(dirname(other), { recursive: true });
  await writeFile(other, '');
  t.notOk(await stacks.exists('acme', signal), 'still no stack, and no error');
  await stacks.up({ tenantId: 'acme', settings: DEFAULT_THUMBNAIL_SETTINGS, saveStackSettings: async () => {} }, { signal });
  t.ok(await stacks.exists('acme', signal), 'once made, it exists');
  t.equal(await readFile(other, 'utf8'), '', 'the other checkpoint was not touched');
});

t.test('the local backend keeps no metadata sidecars, so a checkpoint is never read beside a half-written one', async (t) => {
  const env = await localTestTarget(t);
  const stacks = createTenantStacks({ ...env, scratchDir: join(env.dataDir, 'scratch') });
  const signal = AbortSignal.timeout(300_000);
  const context: StackContext = {
    tenantId: 'acme',
    settings: DEFAULT_THUMBNAIL_SETTINGS,
    saveStackSettings: async (settings) => void (context.stackSettings = settings),
  };
  // A sidecar is written in place: a reader that met one just opened for writing (empty) failed
  // with "failed to load checkpoint: EOF". Without sidecars, a checkpoint is all there is to read.
  await stacks.up(context, { signal });
  await stacks.refresh(context, { signal });
  const dir = join(env.dataDir, 'state', '.pulumi', 'stacks', TENANT_PROJECT);
  t.ok((await readdir(dir)).includes('acme.json'), 'the checkpoint');
  t.same((await readdir(dir)).filter((name) => name.endsWith('.attrs')), [], 'and no .attrs file beside it, after an up and a refresh');
});

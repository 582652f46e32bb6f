// Inline runs in one process, on the real engine: the SDK charges one run's uncaught error to
// another run in flight, and runInline makes such a run again. A run is held in flight by a gate its
// program awaits (never by timing); the other runs happen while it waits.
import t from 'tap';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalWorkspace, PulumiCommand, type Stack } from '@pulumi/pulumi/automation/index.js';
import { pulumiEngineEnv, toolsDir } from '../../src/domain/toolchain.js';
import { runInline } from '../../src/stacks/inline-runs.js';
import { tempDir } from '../helpers/local-store.js';

const STRAY = 'a stray error of another run';

/** A program that waits for its gate the first time it runs (resolving `entered`), and returns at once after. */
function gatedProgram() {
  let open!: () => void;
  let entered!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const runs = { count: 0 };
  const program = async () => {
    runs.count++;
    entered();
    await gate;
    return { done: runs.count };
  };
  return { program, open, inside, runs };
}

t.test('one process, several inline runs', async (t) => {
  const dir = await tempDir(t, 'thumbforge-inline-');
  await mkdir(join(dir, 'state'));
  const pulumiCommand = await PulumiCommand.get({ root: toolsDir() });
  const stack = async (name: string, program: () => Promise<Record<string, unknown>>): Promise<Stack> => {
    const workDir = join(dir, name);
    await mkdir(workDir);
    return LocalWorkspace.createOrSelectStack(
      { projectName: 'thumbforge-inline', stackName: name, program },
      {
        workDir,
        pulumiCommand,
        projectSettings: { name: 'thumbforge-inline', runtime: 'nodejs', backend: { url: `file://${join(dir, 'state')}` } },
        envVars: { ...pulumiEngineEnv(join(dir, 'home')), PULUMI_CONFIG_PASSPHRASE: 'inline-runs-test' },
      },
    );
  };
  const signal = AbortSignal.timeout(600_000);
  const strayRuns = { count: 0 };
  const strayProgram = async () => {
    strayRuns.count++;
    void Promise.reject(new Error(STRAY));
    return {};
  };
  const failure = (promise: Promise<unknown>) => promise.then(() => 'succeeded', (error: unknown) => String(error));

  await t.test('the premise: without runInline, a run in flight fails with the other run’s error', async (t) => {
    const waiting = gatedProgram();
    const run = failure((await stack('bare-waiting', waiting.program)).up({ signal }));
    await waiting.inside;
    t.match(await failure((await stack('bare-stray', strayProgram)).up({ signal })), STRAY, 'the stray run fails of its own error');
    waiting.open();
    t.match(await run, new RegExp(`One or more errors occurred: ${STRAY}`), 'and the waiting run, whose program did nothing wrong, with it');
    t.equal(waiting.runs.count, 1);
  });

  await t.test('through runInline, the waiting run is made again and succeeds; other failures are not', async (t) => {
    const waiting = gatedProgram();
    const waitingStack = await stack('waiting', waiting.program);
    const run = runInline(signal, () => waitingStack.up({ signal }));
    await waiting.inside;

    const thrower = { count: 0 };
    const throwing = await stack('throwing', async () => {
      thrower.count++;
      throw new Error('a failure of its own program');
    });
    t.match(await failure(runInline(signal, () => throwing.up({ signal }))), 'a failure of its own program');
    t.equal(thrower.count, 1, 'a program that throws is not made again, even beside another run');

    strayRuns.count = 0;
    const stray = await stack('stray', strayProgram);
    t.match(await failure(runInline(signal, () => stray.up({ signal }))), STRAY);
    t.equal(strayRuns.count, 3, 'a collected error beside another run may be borrowed: made again, at most twice');

    waiting.open();
    const result = await run;
    t.equal(result.summary.result, 'succeeded', 'the waiting run succeeded');
    t.equal(waiting.runs.count, 2, 'on its second run');
    t.equal(result.outputs.done?.value, 2);
    t.same(await waitingStack.outputs().then((outputs) => outputs.done?.value), 2, 'and its stack has the outputs');
  });

  await t.test('a run alone whose program leaves an uncaught error fails at once', async (t) => {
    strayRuns.count = 0;
    const alone = await stack('alone', strayProgram);
    t.match(await failure(runInline(signal, () => alone.up({ signal }))), new RegExp(`One or more errors occurred: ${STRAY}`));
    t.equal(strayRuns.count, 1, 'no other run: the error is its own');
  });

  await t.test('a run whose signal fired is not made again', async (t) => {
    const waiting = gatedProgram();
    const waitingStack = await stack('waiting-again', waiting.program);
    const run = failure(runInline(signal, () => waitingStack.up({ signal })));
    await waiting.inside;
    strayRuns.count = 0;
    const cancelled = new AbortController();
    const stray = await stack('stray-cancelled', async () => {
      cancelled.abort(new Error('cancelled'));
      return strayProgram();
    });
    t.match(await failure(runInline(cancelled.signal, () => stray.up({ signal: cancelled.signal }))), /./);
    t.equal(strayRuns.count, 1, 'its signal fired during the run: it ends there');
    waiting.open();
    t.equal(await run, 'succeeded');
  });
});

// The Automation API adapter's bound on calls the API takes no signal for (stack ls/select/rm,
// config, cancel, outputs): with the real CLI frozen mid-call, the abort still ends the call and the CLI.
import t from 'tap';
import { engineRunsFor } from '../../src/stacks/engine-processes.js';
import { createTenantStacks } from '../../src/stacks/tenant-stacks.js';
import { localTestTarget } from '../helpers/stacks.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('an aborted signal ends a call whose CLI hangs, and the CLI with it', async (t) => {
  const env = await localTestTarget(t);
  const stacks = createTenantStacks(env);
  const controller = new AbortController();
  const call = stacks.exists('acme', controller.signal);
  const settled = call.then(
    () => 'resolved',
    (error: unknown) => error,
  );
  // `stack ls` takes a moment: catch its CLI and freeze it, as a dead backend would hold it.
  let cli: number | undefined;
  for (let tries = 0; cli === undefined && tries < 2000; tries++) {
    cli = engineRunsFor('acme')[0]?.cli;
    if (cli === undefined) await pause(5);
  }
  t.ok(cli, 'the CLI run is tagged with its stack');
  process.kill(cli!, 'SIGSTOP');
  t.teardown(() => {
    if (engineRunsFor('acme').length > 0) process.kill(cli!, 'SIGKILL');
  });

  const started = Date.now();
  controller.abort(new Error('operation timed out'));
  const outcome = await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 30_000, 'still waiting').unref())]);
  t.match(outcome, { message: 'operation timed out' }, 'the call rejects with the abort reason');
  t.ok(Date.now() - started < 15_000, `and soon (${Date.now() - started} ms)`);
  t.same(engineRunsFor('acme'), [], 'its CLI is gone');
});

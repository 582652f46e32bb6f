// schemathesis (pinned, from PyPI, installed by the setup step) against a started local service,
// twice: with the admin token, then with a tenant key; every check, a fixed seed, the stateful
// phase on, configured by the committed schemathesis.toml. It must generate at least 1,000
// requests in all and find nothing. Heavy: the only fuzz run in the suite.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, pythonToolPath } from '../../src/domain/toolchain.js';
import { startTestService } from '../helpers/service.js';
import { eventually } from '../helpers/stacks.js';

const schemathesis = pythonToolPath('st');
/** Cases per operation and phase; with the stateful phase, each run generates several hundred requests. */
const MAX_EXAMPLES = 40;
const MIN_GENERATED = 1_000;
/** A bound for a hung run only: a run takes minutes on two loaded cores. */
const RUN_BOUND_MS = 30 * 60_000;

type Run = { code: number | null; output: string };

function fuzz(url: string, token: string, tenant: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      schemathesis,
      ['--no-color', '--config-file', join(projectRoot, 'schemathesis.toml'), 'run', `${url}/openapi.json`, '--checks', 'all', '--max-examples', String(MAX_EXAMPLES)],
      {
        cwd: projectRoot,
        // The token travels in the environment, substituted by the config: never on a command line.
        env: { ...process.env, THUMBFORGE_FUZZ_TOKEN: token, THUMBFORGE_FUZZ_TENANT: tenant, NO_COLOR: '1' },
        timeout: RUN_BOUND_MS,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

// Two runs of several hundred requests, many of which run the engine: beyond the suite's default per-file bound.
t.setTimeout(2 * RUN_BOUND_MS);

const generatedIn = (output: string) => Number(/(\d+) generated/.exec(output)?.[1] ?? 0);

t.test('schemathesis finds no failure, with the admin token and with a tenant key', async (t) => {
  t.ok(existsSync(schemathesis), `schemathesis is installed (${schemathesis}); run npm run setup`);
  // One operation at a time: the fuzzer's creates queue instead of crowding two cores.
  const service = await startTestService(t, { THUMBFORGE_MAX_CONCURRENT_OPERATIONS: '1' });
  const created = await service.api('/tenants', { method: 'POST', json: { id: 'fuzz' } });
  t.equal(created.status, 202);
  const { apiKey } = (await created.json()) as { apiKey: string };
  await eventually(async () => ((await (await service.api('/tenants/fuzz')).json()) as { status: string }).status === 'ready' || undefined, 'the fuzz tenant is ready');

  let generated = 0;
  for (const [who, token] of [['the admin token', service.adminToken], ['a tenant key', apiKey]] as const) {
    const run = await fuzz(service.url, token, 'fuzz');
    generated += generatedIn(run.output);
    t.ok(!run.output.includes(token), `${who}: the output never shows the token`);
    if (run.code !== 0) t.comment(run.output.slice(-20_000));
    t.equal(run.code, 0, `${who}: schemathesis exits 0 (no failure, no error)`);
    t.match(run.output, /Stateful/, `${who}: the stateful phase ran`);
  }
  t.ok(generated >= MIN_GENERATED, `at least ${MIN_GENERATED} requests generated in all (${generated})`);
  t.equal((await service.api('/readyz', { token: null })).status, 200, 'the service is still ready');
});

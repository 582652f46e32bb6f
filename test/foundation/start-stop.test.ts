// `npm start`'s entry point as a user meets it: it serves /healthz and /openapi.json on the
// local target, prints the URL and the admin token, and on SIGINT or SIGTERM stops its object
// store and exits 0, leaving no process behind.
import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/local-store.js';
import { startMain } from '../helpers/main-process.js';
import { eventually } from '../helpers/stacks.js';
import { COMPILED_MAIN, projectRoot, SERVICE_NODE_FLAGS } from '../../src/domain/toolchain.js';

function childrenOf(pid: number): number[] {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return [];
  return readFileSync(join(tasks, String(pid), 'children'), 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]?.startsWith('Z');
  } catch {
    return false;
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  t.test(`starts, serves, and stops cleanly on ${signal}`, async (t) => {
    const dataDir = await tempDir(t, 'thumbforge-start-');
    const main = await startMain(t, { THUMBFORGE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    await main.started();
    const { url } = main;
    t.match(main.output(), url, 'prints the URL');

    const health = await fetch(`${url}/healthz`);
    t.equal(health.status, 200);
    t.same(await health.json(), { status: 'ok' });
    const adminToken = readFileSync(join(dataDir, 'secrets', 'admin-token'), 'utf8').trim();
    t.match(main.output(), adminToken, 'prints the generated admin token on first start');
    const openapi = await fetch(`${url}/openapi.json`);
    t.equal(openapi.status, 200);
    t.ok(((await openapi.json()) as { paths: Record<string, unknown> }).paths['/healthz'], 'the OpenAPI document lists the routes');

    const descendants = childrenOf(main.pid);
    t.ok(descendants.length >= 1, 'the object store runs as a child process');
    main.kill(signal);
    t.equal(await main.exited, 0, 'exit code 0');
    // Whatever it started ends with it (a helper such as tsx's esbuild may take a moment to see its
    // parent gone); an orphan still there after the wait is named below.
    await eventually(() => descendants.filter(alive).length === 0 || undefined, 'the child processes to exit', 60_000).catch(() => undefined);
    t.same(descendants.filter(alive), [], 'no orphan processes');
    await t.rejects(fetch(`${url}/healthz`), 'no longer listening');
  });
}

t.test('npm start runs the compiled service with the flags the tests and the image give it', async (t) => {
  const scripts = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  t.equal(scripts.start, ['node', ...SERVICE_NODE_FLAGS, COMPILED_MAIN].join(' '));
});

// Runs before `npm start` and `npm test`: installs node modules when they are missing or older
// than the lockfile (the setup step itself needs them), then runs the setup step if anything is
// missing, then builds the web console and the compiled service (what `npm start` runs) when
// missing or stale, and before tests makes
// tap's runner match the plugins package.json configures. Plain JavaScript on purpose: it must run
// before tsx is installed, and on whatever Node runs npm. Every later step runs on the project's
// runtime (node_modules/.bin/node, Node.js 24 from the registry), never on the machine's own Node.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const installed = new URL('../node_modules/.package-lock.json', import.meta.url);
const lock = new URL('../package-lock.json', import.meta.url);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log('[setup] node modules missing or older than package-lock.json: npm ci');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
const projectNode = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
const runtime = existsSync(projectNode) ? projectNode : process.execPath;
run(runtime, ['--import=tsx', 'scripts/setup.ts', '--if-needed', ...process.argv.slice(2)]);
const forTests = process.argv.includes('--for-tests');
run(runtime, ['--import=tsx', 'scripts/build-if-stale.ts', '--server']);

// tap rebuilds itself for a changed plugin list only after the run that notices it, and that first
// run still loads the dropped TypeScript plugin: build it up front, once per install.
if (forTests) {
  const stamp = new URL('../node_modules/.thumbforge-tap-plugins', import.meta.url);
  const plugins = JSON.stringify(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).tap?.plugin ?? []);
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== plugins) {
    console.log('[setup] building tap for the configured plugins');
    run('npx', ['tap', 'build']);
    writeFileSync(stamp, plugins);
  }
}

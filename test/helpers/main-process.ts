// Test fixture: the compiled service (dist/main.js) in a child process, as `npm start` runs it, on loopback, with its
// output collected. The test that starts it stops it; at teardown whatever is left of it (its
// process group, and the engine's providers, which run in groups of their own) is killed.
import { spawn } from 'node:child_process';
import type { Test } from 'tap';
import { freePort } from '../../src/local/free-port.js';
import { COMPILED_MAIN, projectRoot, SERVICE_NODE_FLAGS } from '../../src/domain/toolchain.js';
import { buildServerIfStale } from '../../scripts/build-if-stale.js';
import { killProcessesMentioning } from './processes.js';

export type MainProcess = {
  pid: number;
  url: string;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves once the URL is printed (the service is up), or throws with what it printed (the deadline only catches a hang). */
  started(timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
};

export async function startMain(t: Test, env: Record<string, string>, options: { inheritEnv?: boolean } = {}): Promise<MainProcess> {
  const port = await freePort();
  // As `npm start` runs it: compiled, built first when a source changed since.
  await buildServerIfStale();
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, COMPILED_MAIN], {
    cwd: projectRoot,
    env: {
      ...(options.inheritEnv === false ? { PATH: process.env.PATH } : process.env),
      HOST: '127.0.0.1',
      PORT: String(port),
      THUMBFORGE_S3_PORT: String(await freePort()),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    if (env.THUMBFORGE_DATA_DIR) killProcessesMentioning(env.THUMBFORGE_DATA_DIR);
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  return {
    pid: child.pid!,
    url,
    output: () => output,
    exited,
    async started(timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(`listening on ${url}`)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the service did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    kill: (signal) => child.kill(signal),
  };
}

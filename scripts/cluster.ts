// `npm run cluster -- --replicas N [--port P] [--s3-port S] [--postgres-port Q]`: PostgreSQL, one
// object store and N replicas on this machine (see src/local/cluster.ts). Data dir:
// THUMBFORGE_DATA_DIR or ./.data/cluster. SIGINT/SIGTERM stops everything. Lines on stdin control
// faults: `postgres stop`, `postgres start`, `postgres restart`. package.json runs it with `exec`, so
// the SIGTERM npm forwards reaches this process (the `sh -c` npm would put between exits on it alone).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startCluster, type RunningCluster } from '../src/local/cluster.js';
import { unsupportedRuntime } from '../src/domain/toolchain.js';

const USAGE = 'usage: npm run cluster -- --replicas N [--port P] [--s3-port S] [--postgres-port Q]';

function integer(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65_535) throw new Error(`--${name} must be a positive integer (got "${value}")\n${USAGE}`);
  return parsed;
}

async function main(): Promise<void> {
  const refused = unsupportedRuntime();
  if (refused) throw new Error(refused);
  const { values } = parseArgs({
    options: { replicas: { type: 'string', default: '3' }, port: { type: 'string' }, 's3-port': { type: 'string' }, 'postgres-port': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return console.log(USAGE);
  // Handlers first: a signal during the start stops what has started, never leaves it running.
  const stopped = new AbortController();
  let cluster: RunningCluster | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stopped.signal.aborted) return;
    console.log(`${signal}: stopping the cluster`);
    stopped.abort();
    cluster?.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('stopping the cluster failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    cluster = await startCluster({
      replicas: integer(values.replicas, 'replicas')!,
      port: integer(values.port, 'port', Number(process.env.PORT ?? 3000))!,
      s3Port: integer(values['s3-port'], 's3-port'),
      postgresPort: integer(values['postgres-port'], 'postgres-port'),
      dataDir: process.env.THUMBFORGE_DATA_DIR ?? './.data/cluster',
      signal: stopped.signal,
    });
  } catch (error) {
    // Stopped during its start: everything it started is stopped already.
    if (stopped.signal.aborted) process.exit(0);
    throw error;
  }
  const running = cluster;
  const commands = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  commands.on('line', (line) => {
    queue = queue.then(() => running.control(line)).catch((error: unknown) => console.error(`"${line}" failed:`, error));
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

// PGlite keeps every commit that returned through a SIGKILL of its process: a child process
// commits rows as fast as it can, is killed mid-stream, and the reopened data dir holds every
// row it reported, each transaction whole (the embedded default rests on this).
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/db/database.js';
import { projectRoot } from '../../src/domain/toolchain.js';
import { tempDir } from '../helpers/local-store.js';

const WRITER = fileURLToPath(new URL('./fixtures/pglite-writer.ts', import.meta.url));
const ROUNDS = 3;
const COMMITS_BEFORE_KILL = 25;

/** Runs the writer until it reported `commits` more commits, SIGKILLs it, and resolves with the last id it reported. */
function writeThenKill(dataDir: string, commits: number): Promise<number> {
  const child = spawn(process.execPath, ['--import=tsx', WRITER, dataDir], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let reported = 0;
  let last = 0;
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => (output += chunk));
    child.stdout.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString().matchAll(/committed (\d+)/g)) {
        last = Number(match[1]);
        if (++reported === commits) child.kill('SIGKILL');
      }
    });
    child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(last) : reject(new Error(`the writer exited (${code}) before it was killed:\n${output}`))));
  });
}

t.test('PGlite keeps every reported commit through SIGKILL', async (t) => {
  const dataDir = await tempDir(t);
  let lastReported = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    lastReported = await writeThenKill(dataDir, COMMITS_BEFORE_KILL);
    t.ok(lastReported >= round * COMMITS_BEFORE_KILL, `round ${round}: killed after commit ${lastReported}`);
  }
  const db = await openDatabase({ dataDir });
  t.teardown(() => db.close());
  const [counts] = await db.query<{ tenants: number; operations: number; orphans: number }>(
    `SELECT (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM operations) AS operations,
            (SELECT count(*) FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.tenant_id = t.id)) AS orphans`,
  );
  t.ok(counts!.tenants >= lastReported, `every reported commit is there (${counts!.tenants} rows, last reported ${lastReported})`);
  t.equal(counts!.operations, counts!.tenants, 'each transaction is whole');
  t.equal(counts!.orphans, 0);
  const ids = await db.query<{ id: string }>("SELECT id FROM tenants ORDER BY (substr(id, 2))::int");
  t.same(ids.map((row) => row.id), Array.from({ length: counts!.tenants }, (_, i) => `t${i + 1}`), 'no commit lost in between');
});

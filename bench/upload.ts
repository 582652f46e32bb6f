// Benchmark (not a test): 256 MiB and 1 GiB uploaded through POST /videos (streamed by the
// server into a multipart upload) and, in the same run, straight to the object store twice: as
// the same multipart upload the server makes (its storage adapter, same part size, run here in
// the bench process), which is the floor the API path can reach, and as a presigned PUT.
// Prints throughput, the ratio, and the server process's peak RSS during each
// upload (it runs in a child process; the peak is reset before each upload through
// /proc/<pid>/clear_refs, then read from VmHWM, with VmRSS sampled as a cross-check).
// Run: npm run bench:upload   (writes bench/results/upload.md)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { loadConfig } from '../src/config.js';
import { createS3Client, type S3Connection } from '../src/domain/s3-connection.js';
import { freePort } from '../src/local/free-port.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { startService } from '../src/service.js';
import { createObjectStorage } from '../src/server/storage/object-storage.js';
import { uploadPartSize } from '../src/server/videos/video-service.js';

const MiB = 1024 * 1024;
const SIZES = [256 * MiB, 1024 * MiB];
const RESULT = join(projectRoot, 'bench/results/upload.md');
const TENANT = 'bench';

type Started = { url: string; adminToken: string; objectStore: S3Connection };

/** `--serve`: the child process, which runs the service and reports how to reach it on stdout. */
async function serve(): Promise<void> {
  const service = await startService(loadConfig(), { logLevel: 'warn' });
  const started: Started = { url: service.url, adminToken: service.adminToken, objectStore: service.objectStore };
  console.log(JSON.stringify(started));
  process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
}

/** An MP4 header (ftyp, then one mdat box spanning the rest) over repeated random bytes: passes the
 * server's content check, and the thumbnailer gives up on it at once (no moov) instead of decoding. */
function videoBytes(size: number): Readable {
  const header = Buffer.alloc(40);
  header.writeUInt32BE(24, 0);
  header.write('ftypisom', 4, 'latin1');
  header.writeUInt32BE(0x200, 12);
  header.write('isommp41', 16, 'latin1');
  header.writeUInt32BE(1, 24);
  header.write('mdat', 28, 'latin1');
  header.writeBigUInt64BE(BigInt(size - 24), 32);
  const block = randomBytes(MiB);
  return Readable.from(
    (function* () {
      yield header;
      let left = size - header.length;
      while (left > 0) {
        const chunk = block.subarray(0, Math.min(left, block.length));
        left -= chunk.length;
        yield chunk;
      }
    })(),
  );
}

function send(url: string, method: string, headers: Record<string, string | number>, parts: Array<Buffer | Readable>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    (async () => {
      for (const part of parts) {
        if (Buffer.isBuffer(part)) request.write(part);
        else for await (const chunk of part) if (!request.write(chunk)) await new Promise((drain) => request.once('drain', drain));
      }
      request.end();
    })().catch(reject);
  });
}

const vm = async (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** CPU seconds (user + system) a process has used so far. */
const cpuSeconds = async (pid: number) => {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** The server's object store process (versitygw, its child). */
async function storePid(serverPid: number): Promise<number> {
  const children = (await readFile(`/proc/${serverPid}/task/${serverPid}/children`, 'utf8')).trim().split(' ').map(Number);
  for (const pid of children) if ((await readFile(`/proc/${pid}/comm`, 'utf8')).trim() === 'versitygw') return pid;
  throw new Error('the server runs no object store');
}

type Measured = { seconds: number; before: number; peak: number; cpu: { client: number; server: number; store: number } };

/** Runs `upload` while watching the server's memory (its peak: VmHWM after a reset, and the highest
 * sampled VmRSS) and the CPU time the bench client, the server and the store spend on it. CPU time
 * is the steadier figure on a shared machine, where wall time also counts other processes' turns. */
async function measured(pid: number, upload: () => Promise<void>): Promise<Measured> {
  const store = await storePid(pid);
  // Every upload starts with no dirty page cache left by the one before it, so none pays for
  // another's disk writes.
  execFileSync('sync');
  await writeFile(`/proc/${pid}/clear_refs`, '5');
  const before = await vm(pid, 'VmRSS');
  let sampled = before;
  const sampler = setInterval(() => void vm(pid, 'VmRSS').then((rss) => (sampled = Math.max(sampled, rss))), 25);
  const cpuBefore = { client: process.cpuUsage(), server: await cpuSeconds(pid), store: await cpuSeconds(store) };
  const started = process.hrtime.bigint();
  await upload();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  const client = process.cpuUsage(cpuBefore.client);
  const cpu = { client: (client.user + client.system) / 1e6, server: (await cpuSeconds(pid)) - cpuBefore.server, store: (await cpuSeconds(store)) - cpuBefore.store };
  return { seconds, before, peak: Math.max(await vm(pid, 'VmHWM'), sampled), cpu };
}

async function startChild(dataDir: string): Promise<{ child: ChildProcess; started: Started }> {
  const port = await freePort();
  let s3Port = await freePort();
  while (s3Port === port) s3Port = await freePort();
  const child = spawn(process.execPath, ['--import=tsx', 'bench/upload.ts', '--serve'], {
    cwd: projectRoot,
    env: { ...process.env, PORT: String(port), THUMBFORGE_S3_PORT: String(s3Port), THUMBFORGE_DATA_DIR: dataDir, THUMBFORGE_ADMIN_TOKEN: randomBytes(24).toString('base64url') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{')) return { child, started: JSON.parse(line) as Started };
  }
  throw new Error('the service did not start');
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'thumbforge-bench-'));
  const { child, started } = await startChild(dataDir);
  const admin = { authorization: `Bearer ${started.adminToken}`, 'content-type': 'application/json' };
  try {
    const created = await fetch(`${started.url}/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ id: TENANT }) });
    const { apiKey } = (await created.json()) as { apiKey: string };
    let bucket: string | undefined;
    while (!bucket) {
      const tenant = (await (await fetch(`${started.url}/tenants/${TENANT}`, { headers: admin })).json()) as { status: string; outputs?: { bucket: string } };
      if (tenant.status === 'failed') throw new Error('the bench tenant failed to provision');
      if (tenant.status === 'ready') bucket = tenant.outputs!.bucket;
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const s3 = createS3Client(started.objectStore);
    const storage = createObjectStorage(started.objectStore, { timeoutSeconds: loadConfig().storageTimeoutSeconds });
    const partSize = uploadPartSize(loadConfig().maxUploadBytes);
    const rows: string[] = [];
    for (const size of SIZES) {
      const label = size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`;
      const boundary = `bench-${randomBytes(8).toString('hex')}`;
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const api = await measured(child.pid!, async () => {
        const answer = await send(`${started.url}/videos`, 'POST', { authorization: `Bearer ${apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length }, [head, videoBytes(size), tail]);
        if (answer.status !== 201) throw new Error(`POST /videos answered ${answer.status}: ${answer.body}`);
      });
      const multipart = await measured(child.pid!, () =>
        storage.upload({ bucket: bucket!, key: `bench/multipart-${size}.bin`, body: videoBytes(size), contentType: 'video/mp4', partSize }),
      );
      const direct = await measured(child.pid!, async () => {
        const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: `bench/direct-${size}.bin` }), { expiresIn: 3600 });
        const answer = await send(url, 'PUT', { 'content-length': size }, [videoBytes(size)]);
        if (answer.status !== 200) throw new Error(`presigned PUT answered ${answer.status}: ${answer.body}`);
      });
      const rate = (seconds: number) => size / MiB / seconds;
      const mib = (bytes: number) => (bytes / MiB).toFixed(0);
      const row = (path: string, run: Measured) =>
        `| ${label} | ${path} | ${run.seconds.toFixed(2)} | ${rate(run.seconds).toFixed(0)} | ${(rate(run.seconds) / rate(direct.seconds)).toFixed(2)} | ` +
        `${run.cpu.client.toFixed(2)} / ${run.cpu.server.toFixed(2)} / ${run.cpu.store.toFixed(2)} | ${mib(run.before)} | ${mib(run.peak)} |`;
      rows.push(row('POST /videos', api), row('multipart upload to the store', multipart), row('presigned PUT to the store', direct));
      console.log(rows.slice(-3).join('\n'));
    }
    s3.destroy();
    storage.close();
    const table = [
      '| size | path | seconds | MiB/s | vs direct | CPU s: client / server / store | server RSS before (MiB) | server peak RSS during (MiB) |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
    const report = [
      '# Upload throughput: through the API vs straight to the object store',
      '',
      `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, local target (versitygw on loopback).`,
      'The server runs in its own process; its peak RSS is VmHWM after a reset (/proc/<pid>/clear_refs) at the start of each upload.',
      'The two direct rows do not pass through the server, so their RSS columns are its idle baseline.',
      `"multipart upload to the store" is the server's own storage adapter run from the bench process (parts of ${partSize / MiB} MiB):`,
      'what the store alone costs for the upload POST /videos makes; the gap to the presigned PUT is the store\'s multipart work',
      '(versitygw re-reads, hashes and rewrites the whole object on CompleteMultipartUpload), not the server\'s.',
      'Each upload starts after `sync`, so no row pays for the disk writes of the one before.',
      'CPU s is the CPU time (user + system) the bench client, the server and the store (versitygw) used during the upload;',
      'the machine is shared, so wall time moves with other load while CPU time stays close to the work done.',
      '',
      table,
      '',
    ].join('\n');
    await writeFile(RESULT, report);
    console.log(`\n${table}\n\nwritten to ${RESULT}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();

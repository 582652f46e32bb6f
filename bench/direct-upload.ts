// Benchmark (not a test): issue 12's "a 1 GiB direct upload is resumed after an interruption", timed.
// A real one-second MP4 followed by padding to 1 GiB goes through POST /uploads; the client PUTs
// about half the parts to their presigned URLs, stops (it keeps only the upload id), asks
// GET /uploads/:id which parts arrived, sends the rest, completes, and waits for the thumbnails.
// The stored object is checked byte for byte (SHA-256). The baseline is one presigned PUT of the
// same bytes straight to the store; the table gives each phase and the ratio to it.
// Run: npm run bench:direct-upload   (writes bench/results/direct-upload.md)
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { loadConfig } from '../src/config.js';
import { createS3Client } from '../src/domain/s3-connection.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { freePort } from '../src/local/free-port.js';
import { startService } from '../src/service.js';

const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
/** Parts in flight at once, as a browser uploader would keep them. */
const CONCURRENCY = 4;
const RESULT = join(projectRoot, 'bench/results/direct-upload.md');

type Json = Record<string, any>;

/** The bytes: the video, then a repeated random MiB; any slice is made on demand. */
function content(video: Buffer) {
  const block = randomBytes(MiB);
  return (start: number, end: number): Buffer => {
    const out = Buffer.alloc(end - start);
    for (let at = start; at < end; ) {
      if (at < video.length) {
        const length = Math.min(end, video.length) - at;
        video.copy(out, at - start, at, at + length);
        at += length;
      } else {
        const offset = (at - video.length) % MiB;
        const length = Math.min(MiB - offset, end - at);
        block.copy(out, at - start, offset, offset + length);
        at += length;
      }
    }
    return out;
  };
}

/** One PUT of `size` bytes made slice by slice, with Content-Length as S3 requires. */
function putWhole(url: string, size: number, slice: (start: number, end: number) => Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'PUT', headers: { 'content-length': size } }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', reject);
    void (async () => {
      for (let at = 0; at < size; at += 8 * MiB) {
        if (!request.write(slice(at, Math.min(size, at + 8 * MiB)))) await new Promise((drain) => request.once('drain', drain));
      }
      request.end();
    })();
  });
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** PUTs the first `count` parts, CONCURRENCY at a time; resolves with how many were sent. */
async function putParts(parts: Array<{ partNumber: number; url: string }>, bytesOf: (partNumber: number) => Buffer, count = parts.length): Promise<number> {
  const taken = parts.slice(0, count);
  let next = 0;
  const worker = async () => {
    while (next < taken.length) {
      const part = taken[next++]!;
      const response = await fetch(part.url, { method: 'PUT', body: bytesOf(part.partNumber) });
      if (response.status !== 200) throw new Error(`part ${part.partNumber}: PUT answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return taken.length;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'thumbforge-bench-direct-'));
  const port = await freePort();
  let s3Port = await freePort();
  while (s3Port === port) s3Port = await freePort();
  const service = await startService(loadConfig({ ...process.env, PORT: String(port), THUMBFORGE_S3_PORT: String(s3Port), THUMBFORGE_DATA_DIR: dataDir }), { logLevel: 'warn' });
  const admin = { authorization: `Bearer ${service.adminToken}`, 'content-type': 'application/json' };
  const api = async (path: string, init: { method?: string; token?: string; json?: unknown } = {}) => {
    const headers = init.token ? { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' } : admin;
    const response = await fetch(`${service.url}${path}`, { method: init.method ?? 'GET', headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const until = async <T>(check: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  try {
    const { body: tenant } = await api('/tenants', { method: 'POST', json: { id: 'bench', thumbnail: { widths: [160] } } });
    const apiKey = tenant.apiKey as string;
    const bucket = await until(async () => {
      const { body } = await api('/tenants/bench');
      if (body.status === 'failed') throw new Error('the bench tenant failed to provision');
      return body.status === 'ready' ? (body.outputs.bucket as string) : undefined;
    });

    const scratch = await mkdtemp(join(tmpdir(), 'thumbforge-bench-video-'));
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', join(scratch, 'clip.mp4')]);
    const video = await readFile(join(scratch, 'clip.mp4'));
    await rm(scratch, { recursive: true, force: true });
    const slice = content(video);
    const whole = createHash('sha256');
    for (let at = 0; at < SIZE; at += 64 * MiB) whole.update(slice(at, Math.min(SIZE, at + 64 * MiB)));
    const expected = whole.digest('hex');

    // Baseline: the same bytes in one presigned PUT, straight to the store.
    const s3 = createS3Client(service.objectStore);
    execFileSync('sync');
    const baseline = await timed(async () => {
      const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'bench/baseline.bin' }), { expiresIn: 3600 });
      const status = await putWhole(url, SIZE, slice);
      if (status !== 200) throw new Error(`baseline PUT answered ${status}`);
    });

    execFileSync('sync');
    const created = await timed(() => api('/uploads', { method: 'POST', token: apiKey, json: { fileName: 'big.mp4', size: SIZE } }));
    const upload = created.value.body;
    if (created.value.status !== 201) throw new Error(`POST /uploads answered ${created.value.status}: ${JSON.stringify(upload)}`);
    const partBytes = (partNumber: number) => slice((partNumber - 1) * upload.partSize, Math.min(SIZE, partNumber * upload.partSize));
    const half = Math.floor(upload.parts.length / 2);
    const first = await timed(() => putParts(upload.parts, partBytes, half));

    // The interruption: the client keeps only the upload id and asks what arrived.
    const resumed = await timed(() => api(`/uploads/${upload.uploadId}`, { token: apiKey }));
    const state = resumed.value.body;
    if (state.received.length !== first.value) throw new Error(`GET shows ${state.received.length} parts received, ${first.value} were sent`);
    const rest = await timed(() => putParts(state.parts, partBytes));
    const { body: all } = await api(`/uploads/${upload.uploadId}`, { token: apiKey });
    const completed = await timed(() =>
      api(`/uploads/${upload.uploadId}/complete`, { method: 'POST', token: apiKey, json: { parts: all.received.map((part: Json) => ({ partNumber: part.partNumber, etag: part.etag })) } }),
    );
    if (completed.value.status !== 201) throw new Error(`complete answered ${completed.value.status}: ${JSON.stringify(completed.value.body)}`);
    const stored = completed.value.body;
    const thumbnails = await timed(() =>
      until(async () => {
        const { body } = await api(`/videos/${stored.id}`, { token: apiKey });
        if (body.status === 'failed') throw new Error(`the thumbnailer failed: ${body.error}`);
        return body.status === 'ready' ? body : undefined;
      }),
    );

    const hash = createHash('sha256');
    for await (const chunk of (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: stored.key }))).Body as AsyncIterable<Buffer>) hash.update(chunk);
    const intact = hash.digest('hex') === expected;
    s3.destroy();
    if (!intact || stored.size !== SIZE || stored.contentType !== 'video/mp4') throw new Error(`the stored video is not the upload: ${JSON.stringify(stored)}`);

    const total = created.seconds + first.seconds + resumed.seconds + rest.seconds + completed.seconds;
    const row = (phase: string, seconds: number) => `| ${phase} | ${seconds.toFixed(2)} | ${(seconds / baseline.seconds).toFixed(2)} |`;
    const table = [
      '| phase | seconds | vs one presigned PUT |',
      '|---|---|---|',
      row('one presigned PUT of the same 1 GiB, straight to the store (baseline)', baseline.seconds),
      row(`POST /uploads (${upload.parts.length} part URLs of ${upload.partSize / MiB} MiB)`, created.seconds),
      row(`first ${first.value} parts PUT, ${CONCURRENCY} at a time, then the client stops`, first.seconds),
      row('GET /uploads/:id: the parts received, URLs for the rest', resumed.seconds),
      row(`the other ${rest.value} parts PUT`, rest.seconds),
      row('POST /uploads/:id/complete (the store joins the parts, sniff, copy to the video key)', completed.seconds),
      row('upload total, create to 201', total),
      row('then the thumbnails ready (GET /videos/:id)', thumbnails.seconds),
    ].join('\n');
    const report = [
      '# A 1 GiB direct upload, resumed after an interruption',
      '',
      `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, local target (versitygw on loopback).`,
      'A real one-second MP4 followed by padding to 1 GiB. The client PUTs half the parts, stops between parts (keeping only',
      'the upload id), asks GET /uploads/:id what arrived, sends the rest and completes; the stored video is the upload byte for',
      `byte (SHA-256), typed video/mp4 by its content, and the thumbnailer made its thumbnails. The machine is shared, so times move with other load.`,
      '',
      table,
      '',
    ].join('\n');
    await writeFile(RESULT, report);
    console.log(`${table}\n\nwritten to ${RESULT}`);
  } finally {
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();

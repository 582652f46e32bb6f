// Benchmark (not a test): the handler's strategy (ffprobe + ffmpeg input seeking over a presigned
// URL, ranged reads) against the naive one (download the whole object, then ffmpeg on the file), for
// 720p videos of 10 s, 120 s and 600 s in the local object store. Bytes are counted by a loopback
// proxy in front of the store, so both strategies are measured the same way.
// Run: npm run bench:thumbnail   (writes bench/results/thumbnail.md)
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createS3Client } from '../src/domain/s3-connection.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../src/domain/thumbnail-settings.js';
import { renderThumbnails } from '../src/lambda-image/thumbnail-core.js';
import { freePort } from '../src/local/free-port.js';
import { startObjectStore } from '../src/local/object-store.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { countingProxy } from '../test/helpers/counting-proxy.js';
import { makeVideo } from '../test/helpers/videos.js';

const DURATIONS = [10, 120, 600];
const RUNS = 5;
const BUCKET = 'bench';
const RESULT = join(projectRoot, 'bench/results/thumbnail.md');
const settings = DEFAULT_THUMBNAIL_SETTINGS;

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 2 : 1)} MB`;

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'thumbforge-bench-'));
  const hook = createServer((_, res) => res.end());
  await listen(hook);
  const store = await startObjectStore({ dataDir: join(work, 'store'), port: await freePort(), webhookUrl: `http://127.0.0.1:${(hook.address() as { port: number }).port}/` });
  const proxy = await countingProxy(store.connection.endpoint);
  const s3 = createS3Client({ ...store.connection, endpoint: proxy.url });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const videos: Array<{ seconds: number; size: number; Key: string }> = [];
    for (const seconds of DURATIONS) {
      console.log(`generating and storing the ${seconds} s video`);
      // testsrc2 is cheap to encode; a 2 s keyframe interval is what cameras and encoders commonly use.
      const path = await makeVideo(work, { name: `v${seconds}.mp4`, seconds, width: 1280, height: 720, rate: 25, gop: 50 });
      const Key = `videos/v${seconds}.mp4`;
      await new Upload({ client: s3, params: { Bucket: BUCKET, Key, Body: createReadStream(path) } }).done();
      videos.push({ seconds, size: (await stat(path)).size, Key });
      await rm(path);
    }

    const handlerStrategy = async (Key: string) => {
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key }), { expiresIn: 600 });
      await renderThumbnails(url, settings);
    };
    const naiveStrategy = async (Key: string) => {
      const file = join(work, 'download.mp4');
      const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
      await pipeline(object.Body as Readable, createWriteStream(file));
      await renderThumbnails(file, settings);
      await rm(file);
    };
    const measure = async (strategy: (key: string) => Promise<void>, Key: string) => {
      proxy.take();
      const started = performance.now();
      await strategy(Key);
      return { ms: performance.now() - started, bytes: proxy.take() };
    };

    // Round-robin over the videos, so a burst of load on the (shared) machine hits every size alike;
    // the first round warms caches and is not counted.
    const samples = new Map(videos.map((video) => [video.Key, { handler: [] as Array<{ ms: number; bytes: number }>, naive: [] as Array<{ ms: number; bytes: number }> }]));
    for (let round = 0; round <= RUNS; round += 1) {
      console.log(round === 0 ? 'warm-up round' : `round ${round} of ${RUNS}`);
      for (const { Key } of videos) {
        const handler = await measure(handlerStrategy, Key);
        const naive = await measure(naiveStrategy, Key);
        if (round > 0) {
          samples.get(Key)!.handler.push(handler);
          samples.get(Key)!.naive.push(naive);
        }
      }
    }

    const rows: string[] = [];
    const handlerMs: Record<number, number> = {};
    for (const { seconds, size, Key } of videos) {
      const { handler, naive } = samples.get(Key)!;
      const [h, n] = [median(handler.map((s) => s.ms)), median(naive.map((s) => s.ms))];
      handlerMs[seconds] = h;
      rows.push(`| ${seconds} s | ${mb(size)} | ${h.toFixed(0)} ms | ${mb(median(handler.map((s) => s.bytes)))} | ${n.toFixed(0)} ms | ${mb(median(naive.map((s) => s.bytes)))} | ${(n / h).toFixed(1)}× |`);
    }
    const growth = handlerMs[600]! / handlerMs[10]!;
    const table = [
      `# Thumbnail: seeking over a presigned URL vs download-then-ffmpeg`,
      '',
      `720p h264 (testsrc2, 25 fps, keyframe every 2 s), moov at the end (ffmpeg's default), settings ${JSON.stringify(settings)}.`,
      `Median of ${RUNS} runs each (after a warm-up round; the videos take turns), on the local object store (versitygw) through a byte-counting loopback proxy.`,
      "Bytes read = what the store sent: ffmpeg asks for open-ended ranges (`bytes=N-`) and closes the connection once it has what it needs, so each read also counts what was already in flight (socket buffers).",
      `Handler: ffprobe + one ffmpeg run with \`-ss\` before \`-i\` on the presigned URL. Naive: GetObject to a file, then the same core on the file.`,
      '',
      '| video | object size | handler time | handler bytes read | naive time | naive bytes read | naive / handler |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `Handler time, 600 s video / 10 s video: **${growth.toFixed(2)}×** (target ≤ 1.3×: ${growth <= 1.3 ? 'met' : 'NOT met'}).`,
      '',
      `Machine: ${process.platform} ${process.arch}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
      '',
    ].join('\n');
    await writeFile(RESULT, table);
    console.log(`\n${table}`);
    if (growth > 1.3) process.exitCode = 1;
  } finally {
    s3.destroy();
    await proxy.close();
    await store.stop();
    hook.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();

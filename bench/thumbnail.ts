// Benchmark (not a test): the handler's strategy (ffprobe + ffmpeg input seeking over a presigned
// URL through the range cache) against ffmpeg reading the URL itself (the baseline before the cache)
// and the naive one (download the whole object, then ffmpeg on the file),
// for each output kind (the stills, the storyboard, the animated preview) of 720p videos of 10 s,
// 120 s and 600 s in the local object store. Bytes are counted by a loopback proxy in front of the
// store, paced like a network link, so every strategy is measured the same way; an unpaced pass
// shows what loopback socket buffers would add. It exits 1 when a goal is missed.
// Run: npm run bench:thumbnail   (writes bench/results/thumbnail.md)
import { createReadStream, createWriteStream } from 'node:fs';
import { cpus } from 'node:os';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createS3Client } from '../src/domain/s3-connection.js';
import { DEFAULT_THUMBNAIL_SETTINGS, previewSettingsSchema, storyboardSettingsSchema } from '../src/domain/thumbnail-settings.js';
import { renderPreview } from '../src/lambda-image/animated-preview.js';
import { planStoryboard } from '../src/lambda-image/storyboard-plan.js';
import { renderStoryboard } from '../src/lambda-image/storyboard-sheets.js';
import { renderThumbnails } from '../src/lambda-image/thumbnail-core.js';
import { openVideoSource } from '../src/lambda-image/video-source.js';
import { freePort } from '../src/local/free-port.js';
import { startObjectStore } from '../src/local/object-store.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { countingProxy, type CountingProxy } from '../test/helpers/counting-proxy.js';
import { makeVideo } from '../test/helpers/videos.js';

const DURATIONS = [10, 120, 600];
const RUNS = 5;
const BUCKET = 'bench';
const RESULT = join(projectRoot, 'bench/results/thumbnail.md');
/** A fast network link to the store, per connection: what each answer is paced at. */
const LINK_BYTES_PER_SECOND = 100 * 1024 * 1024;
/** Generous: a run that takes longer is a finding, not a failure. */
const RUN_TIMEOUT_MS = 10 * 60_000;
/** The goals: the stills' cost flat in the length; a 600 s storyboard reads at most this share of its file. */
const STILL_GROWTH_GOAL = 1.3;
const STORYBOARD_READ_GOAL = 0.3;

const settings = DEFAULT_THUMBNAIL_SETTINGS;
const storyboardSettings = storyboardSettingsSchema.parse({});
const previewSettings = previewSettingsSchema.parse({});

type Kind = 'still' | 'storyboard' | 'preview';
const KINDS: Kind[] = ['still', 'storyboard', 'preview'];
const KIND_WORK: Record<Kind, string> = {
  still: `\`renderThumbnails\` with the default settings (\`at: "auto"\`, widths ${settings.widths.join(' and ')}): ffprobe, the "auto" candidate windows near 10%, the stills`,
  storyboard: `ffprobe, then \`renderStoryboard\` with the default storyboard settings (${JSON.stringify(storyboardSettings)}): one keyframe seek per tile, the sheets`,
  preview: `ffprobe, then \`renderPreview\` of the segment at 10% with the default preview settings (${JSON.stringify(previewSettings)})`,
};

/** One output kind made from `input` (a presigned URL or a downloaded file); `rangeCache: false` lets ffmpeg read the URL itself. */
async function make(kind: Kind, input: string, rangeCache = true): Promise<void> {
  if (kind === 'still') {
    await renderThumbnails(input, settings, { timeoutMs: RUN_TIMEOUT_MS, rangeCache });
    return;
  }
  const source = await openVideoSource(input, RUN_TIMEOUT_MS, { rangeCache });
  try {
    const duration = source.probe.durationSeconds!;
    if (kind === 'storyboard') await renderStoryboard(source, duration, storyboardSettings, 'jpeg');
    else await renderPreview(source, duration / 10, previewSettings);
  } finally {
    await source.close();
  }
}

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 2 : 1)} MB`;
const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(part < whole / 100 ? 2 : 1)}%`;
const ms = (value: number) => `${value.toFixed(0)} ms`;

type Sample = { ms: number; bytes: number; requests: number };
type Video = { seconds: number; size: number; Key: string; tiles: number };

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'thumbforge-bench-'));
  const hook = createServer((_, res) => res.end());
  await listen(hook);
  const store = await startObjectStore({ dataDir: join(work, 'store'), port: await freePort(), webhookUrl: `http://127.0.0.1:${(hook.address() as { port: number }).port}/` });
  const paced = await countingProxy(store.connection.endpoint, { bytesPerSecond: LINK_BYTES_PER_SECOND });
  const unpaced = await countingProxy(store.connection.endpoint);
  const viaPaced = createS3Client({ ...store.connection, endpoint: paced.url });
  const viaUnpaced = createS3Client({ ...store.connection, endpoint: unpaced.url });
  try {
    await viaPaced.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const videos: Video[] = [];
    for (const seconds of DURATIONS) {
      console.log(`generating and storing the ${seconds} s video`);
      // testsrc2 is cheap to encode; a 2 s keyframe interval is what cameras and encoders commonly use.
      const path = await makeVideo(work, { name: `v${seconds}.mp4`, seconds, width: 1280, height: 720, rate: 25, gop: 50 });
      const Key = `videos/v${seconds}.mp4`;
      await new Upload({ client: viaUnpaced, params: { Bucket: BUCKET, Key, Body: createReadStream(path) } }).done();
      const tiles = planStoryboard(seconds, { width: 1280, height: 720 }, storyboardSettings).tiles.length;
      videos.push({ seconds, size: (await stat(path)).size, Key, tiles });
      await rm(path);
    }
    unpaced.take();

    const presigned = (s3: S3Client, Key: string) => getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key }), { expiresIn: 3600 });
    const handlerStrategy = async (kind: Kind, Key: string, s3: S3Client) => make(kind, await presigned(s3, Key));
    const directStrategy = async (kind: Kind, Key: string) => make(kind, await presigned(viaPaced, Key), false);
    const naiveStrategy = async (kind: Kind, Key: string) => {
      const file = join(work, 'download.mp4');
      const object = await viaPaced.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
      await pipeline(object.Body as Readable, createWriteStream(file));
      await make(kind, file);
      await rm(file);
    };
    const measure = async (proxy: CountingProxy, run: () => Promise<void>): Promise<Sample> => {
      proxy.take();
      proxy.takeRequests();
      const started = performance.now();
      await run();
      const ms = performance.now() - started;
      // A read given up on may still be arriving: it belongs to this run.
      await proxy.settled();
      return { ms, bytes: proxy.take(), requests: proxy.takeRequests() };
    };

    // Round-robin over kinds and videos, so a burst of load on the (shared) machine hits every row
    // alike; the first round warms caches and is not counted.
    const key = (kind: Kind, video: Video) => `${kind} ${video.seconds}`;
    const samples = new Map<string, { handler: Sample[]; direct: Sample[]; naive: Sample[] }>();
    for (const kind of KINDS) for (const video of videos) samples.set(key(kind, video), { handler: [], direct: [], naive: [] });
    for (let round = 0; round <= RUNS; round += 1) {
      console.log(round === 0 ? 'warm-up round' : `round ${round} of ${RUNS}`);
      for (const kind of KINDS) {
        for (const video of videos) {
          const handler = await measure(paced, () => handlerStrategy(kind, video.Key, viaPaced));
          const direct = await measure(paced, () => directStrategy(kind, video.Key));
          const naive = await measure(paced, () => naiveStrategy(kind, video.Key));
          if (round > 0) {
            samples.get(key(kind, video))!.handler.push(handler);
            samples.get(key(kind, video))!.direct.push(direct);
            samples.get(key(kind, video))!.naive.push(naive);
          }
        }
      }
    }
    console.log('unpaced pass (bytes only)');
    const unpacedBytes = new Map<string, number>();
    for (const kind of KINDS) {
      for (const video of videos) unpacedBytes.set(key(kind, video), (await measure(unpaced, () => handlerStrategy(kind, video.Key, viaUnpaced))).bytes);
    }

    const sections: string[] = [];
    const handlerMs = new Map<string, number>();
    const handlerBytes = new Map<string, number>();
    for (const kind of KINDS) {
      const rows: string[] = [];
      for (const video of videos) {
        const { handler, direct, naive } = samples.get(key(kind, video))!;
        const [d, db, dGets] = [median(direct.map((s) => s.ms)), median(direct.map((s) => s.bytes)), median(direct.map((s) => s.requests))];
        const [h, n] = [median(handler.map((s) => s.ms)), median(naive.map((s) => s.ms))];
        const [hb, nb] = [median(handler.map((s) => s.bytes)), median(naive.map((s) => s.bytes))];
        const gets = median(handler.map((s) => s.requests));
        handlerMs.set(key(kind, video), h);
        handlerBytes.set(key(kind, video), hb);
        const growth = h / handlerMs.get(key(kind, videos[0]!))!;
        const raw = unpacedBytes.get(key(kind, video))!;
        rows.push(
          `| ${video.seconds} s | ${mb(video.size)} |${kind === 'storyboard' ? ` ${video.tiles} |` : ''} ${ms(h)} | ${growth.toFixed(2)}× | ${mb(hb)} (${percent(hb, video.size)}) | ${gets} | ${ms(d)} | ${(d / h).toFixed(2)}× | ${mb(db)} (${percent(db, video.size)}) | ${dGets} | ${(db / hb).toFixed(1)}× | ${ms(n)} | ${mb(nb)} (${percent(nb, video.size)}) | ${(n / h).toFixed(2)}× | ${(nb / hb).toFixed(1)}× | ${mb(raw)} (${percent(raw, video.size)}) |`,
        );
      }
      sections.push(
        `## ${kind}`,
        '',
        `${KIND_WORK[kind]}.`,
        '',
        `| video | object size |${kind === 'storyboard' ? ' tiles |' : ''} handler time | vs 10 s | handler bytes read | handler GETs | direct time | direct / handler time | direct bytes read | direct GETs | direct / handler bytes | naive time | naive bytes read | naive / handler time | naive / handler bytes | handler bytes, unpaced |`,
        `|---|---|${kind === 'storyboard' ? '---|' : ''}${'---|'.repeat(14)}`,
        ...rows,
        '',
      );
    }
    const [short, long] = [videos[0]!, videos.at(-1)!];
    const stillGrowth = handlerMs.get(key('still', long))! / handlerMs.get(key('still', short))!;
    const storyboardShare = handlerBytes.get(key('storyboard', long))! / long.size;
    const goals = [
      `- Stills, handler time of the ${long.seconds} s video / the ${short.seconds} s one: **${stillGrowth.toFixed(2)}×** (goal ≤ ${STILL_GROWTH_GOAL}×: ${stillGrowth <= STILL_GROWTH_GOAL ? 'met' : 'NOT met'}).`,
      `- Storyboard of the ${long.seconds} s 720p video, bytes read / its file: **${(100 * storyboardShare).toFixed(1)}%** (goal ≤ ${100 * STORYBOARD_READ_GOAL}%: ${storyboardShare <= STORYBOARD_READ_GOAL ? 'met' : 'NOT met'}).`,
    ];
    const cpu = cpus();
    const report = [
      '# Thumbnail outputs: seeking over a presigned URL vs download-then-ffmpeg',
      '',
      "720p h264 (testsrc2, 25 fps, keyframe every 2 s), moov at the end (ffmpeg's default), on the local object store (versitygw) through a byte-counting loopback proxy.",
      `Median of ${RUNS} runs of each row (after a warm-up round; kinds and videos take turns). Handler: the work on the presigned URL as the thumbnailer does it (\`-ss\` before \`-i\`, every ffmpeg and ffprobe run of the render reading through its range cache: 64 KiB blocks fetched with bounded ranged GETs, once each); direct: the same work with ffmpeg reading the URL itself (the handler before the range cache); naive: GetObject to a file, then the same work on the file.`,
      `Answers are paced at ${LINK_BYTES_PER_SECOND / 1024 / 1024} MiB/s per connection, like a fast network link. Reading the URL itself, ffmpeg asks for open-ended ranges (\`bytes=N-\`) and hangs up once it has what it needs, and what is in flight then is counted too; the range cache asks for bounded ranges only, and answers ffmpeg with what it holds and one run more (ffmpeg comes back for the rest).`,
      '"GETs" counts the ranged GETs of one run at the store. The last column is the handler again, unpaced (loopback at full speed).',
      '',
      ...goals,
      '',
      ...sections,
      `Machine: ${process.platform} ${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, node ${process.version}, ffmpeg from PATH, ${new Date().toISOString().slice(0, 10)}.`,
      '',
    ].join('\n');
    await writeFile(RESULT, report);
    console.log(`\n${report}`);
    if (stillGrowth > STILL_GROWTH_GOAL || storyboardShare > STORYBOARD_READ_GOAL) process.exitCode = 1;
  } finally {
    viaPaced.destroy();
    viaUnpaced.destroy();
    await paced.close();
    await unpaced.close();
    await store.stop();
    hook.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();

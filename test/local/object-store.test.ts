// The local object store does what the design requires of it, against the real versitygw; a start
// held for good (a process that stops itself) is ended and made once more, or refused saying why.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Upload } from '@aws-sdk/lib-storage';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startObjectStore } from '../../src/local/object-store.js';
import { freePort } from '../../src/local/free-port.js';
import { versitygwPath } from '../../src/domain/toolchain.js';
import { startTestStore, tempDir, testS3Client, webhookReceiver } from '../helpers/local-store.js';
import { processesMentioning } from '../helpers/processes.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

t.test('local object store', async (t) => {
  const hook = await webhookReceiver(t);
  const store = await startTestStore(t, hook.url);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const Bucket = 'store-test';
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket, Key: 'plain.txt', Body: 'hello, store' }));

  t.test('listens on loopback only', async (t) => {
    t.match(store.connection.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  t.test('a presigned GET works and a tampered one is refused', async (t) => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: 'plain.txt' }), { expiresIn: 60 });
    const ok = await fetch(url);
    t.equal(ok.status, 200);
    t.equal(await ok.text(), 'hello, store');
    const tampered = new URL(url);
    const signature = tampered.searchParams.get('X-Amz-Signature')!;
    tampered.searchParams.set('X-Amz-Signature', signature.replace(/^./, signature[0] === 'a' ? 'b' : 'a'));
    t.equal((await fetch(tampered)).status, 403, 'a changed signature is refused');
    const otherKey = new URL(url.replace('plain.txt', 'other.txt'));
    t.equal((await fetch(otherKey)).status, 403, 'a signature for another key is refused');
  });

  t.test('an expired presigned GET is refused', async (t) => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: 'plain.txt' }), { expiresIn: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    t.equal((await fetch(url)).status, 403);
  });

  t.test('a Range GET answers 206 with those bytes', async (t) => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: 'plain.txt' }), { expiresIn: 60 });
    const response = await fetch(url, { headers: { Range: 'bytes=7-11' } });
    t.equal(response.status, 206);
    t.equal(await response.text(), 'store');
    t.equal(response.headers.get('content-range'), 'bytes 7-11/12');
  });

  t.test('a streamed PutObject round-trips byte-exact', async (t) => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    await s3.send(
      new PutObjectCommand({ Bucket, Key: 'streamed.bin', Body: Readable.from([body.subarray(0, 1000), body.subarray(1000)]), ContentLength: body.length }),
    );
    const back = await s3.send(new GetObjectCommand({ Bucket, Key: 'streamed.bin' }));
    const bytes = await back.Body!.transformToByteArray();
    t.equal(bytes.length, body.length);
    t.equal(sha256(bytes), sha256(body));
  });

  t.test('a lib-storage multipart upload round-trips byte-exact with an S3 multipart ETag', async (t) => {
    const body = randomBytes(12 * 1024 * 1024 + 5);
    const upload = new Upload({
      client: s3,
      params: { Bucket, Key: 'multipart.bin', Body: Readable.from([body]) },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    });
    await upload.done();
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'multipart.bin' }));
    t.match(head.ETag, /^"[0-9a-f]{32}-3"$/, 'three parts');
    const back = await s3.send(new GetObjectCommand({ Bucket, Key: 'multipart.bin' }));
    t.equal(sha256(await back.Body!.transformToByteArray()), sha256(body));
  });

  t.test('an object-created event reaches the webhook', async (t) => {
    const Key = 'videos/01J0000000000000000000000/a b+ç.mp4';
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'not really a video' }));
    const delivery = await hook.waitFor((d) => JSON.stringify(d.body).includes('a b+ç.mp4'));
    const record = (delivery.body as { Records: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string; size: number } } }> }).Records[0]!;
    t.match(record.eventName, /ObjectCreated:Put$/);
    t.equal(record.s3.bucket.name, Bucket);
    t.equal(record.s3.object.key, Key, 'the store sends the raw key; the runner encodes it as AWS does');
    t.equal(record.s3.object.size, 18);
    t.equal(new URL(delivery.url, 'http://x').searchParams.get('secret'), 'test-secret', 'the webhook URL keeps its secret');
  });

  t.test('stop ends the process', async (t) => {
    const other = await startTestStore(t, hook.url);
    await other.stop();
    t.not(other.process.exitCode === null && other.process.signalCode === null, true, 'exited');
    await t.rejects(fetch(`${other.connection.endpoint}/health`));
  });
});

t.test('a start whose process never answers is ended', async (t) => {
  // A stand-in tools dir whose versitygw stops itself on its first start (a start held for good,
  // whatever the machine's load) and is the real one after that.
  const tools = await tempDir(t, 'thumbforge-tools-');
  const mark = join(tools, 'started-once');
  const wrapper = join(tools, 'bin', 'versitygw');
  await mkdir(dirname(wrapper));
  await writeFile(wrapper, `#!/bin/sh\nif mkdir '${mark}' 2>/dev/null; then kill -STOP $$; fi\nexec '${versitygwPath()}' "$@"\n`, { mode: 0o755 });
  const before = process.env.THUMBFORGE_TOOLS_DIR;
  process.env.THUMBFORGE_TOOLS_DIR = tools;
  t.teardown(() => {
    if (before === undefined) delete process.env.THUMBFORGE_TOOLS_DIR;
    else process.env.THUMBFORGE_TOOLS_DIR = before;
  });
  const webhookUrl = (await webhookReceiver(t)).url;
  t.beforeEach(() => rm(mark, { recursive: true, force: true }));

  t.test('and made once more: the second process serves', async (t) => {
    const exits: Array<number | null> = [];
    const store = await startObjectStore({ dataDir: await tempDir(t), port: await freePort(), webhookUrl, readyTimeoutMs: 1000, onExit: (code) => exits.push(code) });
    t.teardown(() => store.stop());
    t.ok(existsSync(mark), 'the first start was held');
    t.same(processesMentioning(wrapper), [], 'its process is gone');
    const s3 = testS3Client(store);
    t.teardown(() => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'second-start' }));
    await s3.send(new PutObjectCommand({ Bucket: 'second-start', Key: 'a.txt', Body: 'made once more' }));
    const body = await (await s3.send(new GetObjectCommand({ Bucket: 'second-start', Key: 'a.txt' }))).Body!.transformToString();
    t.equal(body, 'made once more', 'the second start serves');
    t.same(exits, [], 'the ended process is not reported as the store exiting');
  });

  t.test('or, with retryHungStart off (a restart, retried by its supervisor), refused saying why', async (t) => {
    const port = await freePort();
    await t.rejects(
      startObjectStore({ dataDir: await tempDir(t), port, webhookUrl, readyTimeoutMs: 1000, retryHungStart: false }),
      { message: /^the object store \(pid \d+, T \(stopped\)\) did not become ready within 1000 ms; its last health check failed: ECONNREFUSED/ },
    );
    t.same(processesMentioning(wrapper), [], 'its process is gone');
    await t.rejects(fetch(`http://127.0.0.1:${port}/health`), 'nothing listens on its port');
  });
});

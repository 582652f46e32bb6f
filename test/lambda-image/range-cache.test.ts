// The range cache in front of a real object store (versitygw), its reads counted by a loopback proxy:
// the bytes it serves are the object's, every block comes from the store once, a range is answered
// with what is held and one run fetched (the reader comes back for the rest, and its runs grow),
// refusals reach the reader with their status, and closing ends a read the store never answers.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { BLOCK_BYTES, startRangeCache } from '../../src/lambda-image/range-cache.js';
import { countingProxy } from '../helpers/counting-proxy.js';
import { startTestStore, testS3Client } from '../helpers/local-store.js';

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Reads a range the way ffmpeg does with `-reconnect`: asks again where each short answer ended. */
async function readRange(url: string, start: number, end?: number): Promise<{ body: Buffer; ends: number[] }> {
  const parts: Buffer[] = [];
  const ends: number[] = [];
  for (let position = start; ; ) {
    const answer = await get(url, { range: `bytes=${position}-${end ?? ''}` });
    if (answer.status !== 206) throw new Error(`answered ${answer.status}`);
    const [, last, size] = /^bytes \d+-(\d+)\/(\d+)$/.exec(String(answer.headers['content-range']))!.map(Number) as [number, number, number];
    parts.push(answer.body);
    ends.push(last);
    position = last + 1;
    if (position > (end ?? size - 1)) return { body: Buffer.concat(parts), ends };
  }
}

t.test('a range cache over a presigned GET', async (t) => {
  const store = await startTestStore(t);
  const proxy = await countingProxy(store.connection.endpoint);
  t.teardown(() => proxy.close());
  const s3 = testS3Client(store);
  const viaProxy = createS3Client({ ...store.connection, endpoint: proxy.url });
  t.teardown(() => {
    s3.destroy();
    viaProxy.destroy();
  });
  const Bucket = 'range-cache';
  await s3.send(new CreateBucketCommand({ Bucket }));
  // Ten and a half blocks: the last one is short.
  const object = randomBytes(10 * BLOCK_BYTES + BLOCK_BYTES / 2);
  await s3.send(new PutObjectCommand({ Bucket, Key: 'videos/a.mp4', Body: object, ContentType: 'video/mp4' }));
  const presign = (Key: string) => getSignedUrl(viaProxy, new GetObjectCommand({ Bucket, Key }), { expiresIn: 600 });
  const source = await presign('videos/a.mp4');

  t.test('serves the object’s own bytes, each block read from the store once and only when a reader came back for it', async (t) => {
    const cache = await startRangeCache(source);
    t.teardown(() => cache.close());
    proxy.take();

    const short = await get(cache.url, { range: 'bytes=0-999' });
    t.equal(short.status, 206);
    t.equal(short.headers['content-range'], `bytes 0-999/${object.length}`);
    t.equal(short.headers['content-type'], 'video/mp4');
    t.same(short.body, object.subarray(0, 1000));
    t.equal(proxy.take(), BLOCK_BYTES, 'a short read fetches its one block, no more');

    const tail = await readRange(cache.url, object.length - 5000);
    t.same(tail.body, object.subarray(object.length - 5000), 'an open-ended range ends at the object’s end');
    t.equal(proxy.take(), BLOCK_BYTES / 2, 'the short last block alone');

    const middle = await readRange(cache.url, BLOCK_BYTES - 10, 3 * BLOCK_BYTES + 10);
    t.same(middle.body, object.subarray(BLOCK_BYTES - 10, 3 * BLOCK_BYTES + 11), 'a range across blocks');
    t.same(middle.ends, [BLOCK_BYTES - 1, 3 * BLOCK_BYTES - 1, 3 * BLOCK_BYTES + 10], 'held block 0 first, then runs that double as the reader comes back');
    t.equal(proxy.take(), 3 * BLOCK_BYTES, 'blocks 1 to 3 (block 0 is held)');

    const whole = await get(cache.url);
    t.equal(whole.status, 200, 'no range: the whole object at once');
    t.equal(whole.headers['content-length'], String(object.length));
    t.same(whole.body, object);
    t.equal(proxy.take(), object.length - 4 * BLOCK_BYTES - BLOCK_BYTES / 2, 'only the blocks not held yet');

    const again = await readRange(cache.url, 12345);
    t.same(again.body, object.subarray(12345));
    t.equal(again.ends.length, 1, 'a range held in full is one answer');
    t.equal(proxy.take(), 0, 'a read again comes from the cache');

    const head = await get(cache.url, {}, 'HEAD');
    t.equal(head.status, 200);
    t.equal(head.headers['content-length'], String(object.length));
    t.equal(head.body.length, 0);
  });

  t.test('a full cache lets the least recently used block go, and reads it again when asked', async (t) => {
    const cache = await startRangeCache(source, { cacheBytes: 2 * BLOCK_BYTES });
    t.teardown(() => cache.close());
    proxy.take();
    for (const block of [0, 1, 0, 2]) await get(cache.url, { range: `bytes=${block * BLOCK_BYTES}-${block * BLOCK_BYTES + 9}` });
    t.equal(proxy.take(), 3 * BLOCK_BYTES, 'block 0 was read again, so it stayed');
    const first = await get(cache.url, { range: 'bytes=0-9' });
    t.same(first.body, object.subarray(0, 10));
    t.equal(proxy.take(), 0, 'block 0 is still held');
    await get(cache.url, { range: `bytes=${BLOCK_BYTES}-${BLOCK_BYTES + 9}` });
    t.equal(proxy.take(), BLOCK_BYTES, 'block 1 went first');
  });

  t.test('what the cache refuses, and what the store refuses, reaches the reader with its status', async (t) => {
    const cache = await startRangeCache(source);
    t.teardown(() => cache.close());
    t.equal((await get(cache.url, { range: `bytes=${object.length}-` })).status, 416, 'a range past the end');
    t.equal((await get(cache.url, { range: `bytes=${object.length}-` })).headers['content-range'], `bytes */${object.length}`);
    t.equal((await get(`${cache.url}x`)).status, 404, 'it serves one path only');
    t.equal((await get(cache.url, {}, 'POST')).status, 405);

    const missing = await startRangeCache(await presign('videos/missing.mp4'));
    t.teardown(() => missing.close());
    t.equal((await get(missing.url, { range: 'bytes=0-' })).status, 404, 'a missing object');

    const tampered = await startRangeCache(source.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`));
    t.teardown(() => tampered.close());
    t.equal((await get(tampered.url, { range: 'bytes=0-' })).status, 403, 'a bad signature');
  });

  t.test('an object replaced during the render fails the read instead of mixing two versions', async (t) => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'videos/b.mp4', Body: object }));
    const cache = await startRangeCache(await presign('videos/b.mp4'));
    t.teardown(() => cache.close());
    t.equal((await get(cache.url, { range: 'bytes=0-9' })).status, 206);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'videos/b.mp4', Body: randomBytes(object.length) }));
    t.equal((await get(cache.url, { range: `bytes=${5 * BLOCK_BYTES}-` })).status, 412, 'the store refuses the old version’s blocks');
  });
});

t.test('closing the cache ends a read the store never answers', async (t) => {
  // A store that takes the request and never answers: nothing but close can end the read.
  let asked!: () => void;
  const requested = new Promise<void>((resolve) => (asked = resolve));
  const frozen = createServer(() => asked());
  frozen.listen(0, '127.0.0.1');
  await once(frozen, 'listening');
  t.teardown(() => {
    frozen.closeAllConnections();
    frozen.close();
  });
  const cache = await startRangeCache(`http://127.0.0.1:${(frozen.address() as { port: number }).port}/videos/x.mp4`);
  const read = get(cache.url, { range: 'bytes=0-' }).then(
    (answer) => answer.status,
    () => 'hung up',
  );
  await requested;
  await cache.close();
  t.equal(await read, 'hung up', 'the read ends when the cache closes');
});

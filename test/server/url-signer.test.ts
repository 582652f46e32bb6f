// Presigned URLs from the signer, against the real local store (versitygw): accepted as they are,
// refused when tampered with or expired, the same string within a signing window and another in
// the next, never living past the TTL; addressed as the SDK client addresses the bucket (path style
// locally, the regional endpoint on AWS); general enough for an UploadPart PUT. Links kept for their
// window are answered only for what they sign and the credentials they were signed with.
import t from 'tap';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createUrlSigner } from '../../src/server/storage/url-signer.js';
import { startTestStore, testS3Client } from '../helpers/local-store.js';

const TTL = 3600;
/** A quarter of the TTL: the signer's window (url-signer.ts). */
const WINDOW_MS = (TTL / 4) * 1000;

/** X-Amz-Date + X-Amz-Expires, as the store reads them. */
function expiryIn(url: string): number {
  const query = new URL(url).searchParams;
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(query.get('X-Amz-Date')!)!.map(Number);
  return Date.UTC(y!, mo! - 1, d!, h, mi, s) + Number(query.get('X-Amz-Expires')) * 1000;
}

t.test('against the local store', async (t) => {
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const Bucket = 'signer-test';
  // Every character class a key may carry: spaces, plus, unicode, RFC 3986 sub-delims, slashes.
  const Key = "videos/01J0000000000000000000000/a b+ç(1)!'*.mp4";
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'the bytes of the video' }));
  await s3.send(new PutObjectCommand({ Bucket, Key: 'other.txt', Body: 'another object' }));
  const signer = createUrlSigner(store.connection, { credentials: store.connection.credentials });

  t.test('a link is accepted: GET answers the bytes', async (t) => {
    const { url } = await signer.sign({ method: 'GET', bucket: Bucket, key: Key, ttlSeconds: TTL });
    const answer = await fetch(url);
    t.equal(answer.status, 200);
    t.equal(await answer.text(), 'the bytes of the video');
  });

  t.test('a tampered link is refused with 403', async (t) => {
    const { url } = await signer.sign({ method: 'GET', bucket: Bucket, key: 'other.txt', ttlSeconds: TTL });
    t.equal((await fetch(url)).status, 200, 'untampered, it is accepted');
    t.equal((await fetch(url.replace('/other.txt?', `/${encodeURIComponent(Key).replace(/%2F/g, '/')}?`))).status, 403, 'another key');
    const signature = new URL(url);
    const value = signature.searchParams.get('X-Amz-Signature')!;
    signature.searchParams.set('X-Amz-Signature', (value[0] === 'a' ? 'b' : 'a') + value.slice(1));
    t.equal((await fetch(signature)).status, 403, 'another signature');
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', String(TTL * 2));
    t.equal((await fetch(longer)).status, 403, 'a longer life');
  });

  t.test('an expired link is refused with 403', async (t) => {
    const past = createUrlSigner(store.connection, { credentials: store.connection.credentials, now: () => Date.now() - 2 * 60_000 });
    const { url, expiresAt } = await past.sign({ method: 'GET', bucket: Bucket, key: 'other.txt', ttlSeconds: 60 });
    t.ok(expiresAt.getTime() < Date.now(), 'signed two minutes ago for one minute');
    t.equal((await fetch(url)).status, 403);
  });

  t.test('a link signed at the start of its window (up to a quarter TTL ago) is accepted', async (t) => {
    const late = createUrlSigner(store.connection, { credentials: store.connection.credentials, now: () => Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + WINDOW_MS - 1 });
    const early = createUrlSigner(store.connection, { credentials: store.connection.credentials, now: () => Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS });
    const request = { method: 'GET', bucket: Bucket, key: 'other.txt', ttlSeconds: TTL } as const;
    t.equal((await late.sign(request)).url, (await early.sign(request)).url, 'the same URL across the whole window');
    t.equal((await fetch((await early.sign(request)).url)).status, 200);
  });

  t.test('a link answered again within its window (kept, not signed anew) is still accepted', async (t) => {
    const first = await signer.sign({ method: 'GET', bucket: Bucket, key: Key, ttlSeconds: TTL });
    const again = await signer.sign({ method: 'GET', bucket: Bucket, key: Key, ttlSeconds: TTL });
    t.equal(again.url, first.url);
    t.equal((await fetch(again.url)).status, 200);
  });

  t.test('an UploadPart PUT with partNumber and uploadId is accepted, and the object completes', async (t) => {
    const key = 'videos/01J0000000000000000000001/direct.mp4';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key }));
    const { url } = await signer.sign({ method: 'PUT', bucket: Bucket, key, query: { partNumber: '1', uploadId: UploadId! }, ttlSeconds: TTL });
    const put = await fetch(url, { method: 'PUT', body: 'one part straight to the bucket' });
    t.equal(put.status, 200);
    const ETag = put.headers.get('etag')!;
    t.match(ETag, /^"[0-9a-f]{32}"$/);
    const wrongPart = await fetch(url.replace('partNumber=1', 'partNumber=2'), { method: 'PUT', body: 'x' });
    t.equal(wrongPart.status, 403, 'the part number is signed');
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
    const back = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
    t.equal(await back.Body!.transformToString(), 'one part straight to the bucket');
  });

  t.test('the bucket is addressed as the SDK client addresses it (path style on the endpoint)', async (t) => {
    const ours = new URL((await signer.sign({ method: 'GET', bucket: Bucket, key: Key, ttlSeconds: TTL })).url);
    const sdks = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key }), { expiresIn: TTL }));
    t.equal(ours.origin, sdks.origin);
    t.equal(ours.pathname, sdks.pathname);
  });
});

t.test('signing windows', async (t) => {
  const connection = { region: 'eu-west-1' };
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  let now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const signer = createUrlSigner(connection, { credentials, now: () => now });
  const read = () => signer.sign({ method: 'GET', bucket: 'acme-123456789012-eu-west-1', key: 'thumbnails/x/w320.jpg', ttlSeconds: TTL });

  t.test('two reads within a window return the same URL; a read in the next window another', async (t) => {
    now = Date.UTC(2026, 0, 1, 12, 0, 1);
    const first = await read();
    now += WINDOW_MS - 2_000;
    const second = await read();
    t.equal(second.url, first.url, 'the same URL');
    t.same(second.expiresAt, first.expiresAt, 'the same expiry');
    now += 2_000;
    const next = await read();
    t.not(next.url, first.url, 'the next window signs anew');
    t.equal(next.expiresAt.getTime() - first.expiresAt.getTime(), WINDOW_MS, 'a window later');
  });

  t.test('a link expires within the TTL, never sooner than three quarters of it, and says when', async (t) => {
    const start = Date.UTC(2026, 0, 1, 23, 0, 0);
    // Steps of 7 s across two hours, over midnight (the signing key's day changes too).
    for (now = start; now < start + 2 * 3600_000; now += 7_000) {
      const { url, expiresAt } = await read();
      if (expiresAt.getTime() > now + TTL * 1000 || expiresAt.getTime() < now + TTL * 750 || expiresAt.getTime() !== expiryIn(url)) {
        t.fail(`at ${new Date(now).toISOString()}: expires ${expiresAt.toISOString()}, the URL says ${new Date(expiryIn(url)).toISOString()}`);
        return;
      }
    }
    t.pass('every link from 23:00 to 01:00, every 7 s');
  });

  t.test('within a window, a kept link is answered only for the request it signs', async (t) => {
    now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const bucket = 'acme-123456789012-eu-west-1';
    const requests = [
      { method: 'GET', bucket, key: 'thumbnails/x/w320.jpg', ttlSeconds: TTL },
      { method: 'GET', bucket, key: 'thumbnails/x/w640.jpg', ttlSeconds: TTL },
      { method: 'GET', bucket: 'other-123456789012-eu-west-1', key: 'thumbnails/x/w320.jpg', ttlSeconds: TTL },
      { method: 'HEAD', bucket, key: 'thumbnails/x/w320.jpg', ttlSeconds: TTL },
      { method: 'GET', bucket, key: 'thumbnails/x/w320.jpg', ttlSeconds: TTL * 2 },
      { method: 'PUT', bucket, key: 'videos/x/a.mp4', query: { partNumber: '1', uploadId: 'u' }, ttlSeconds: TTL },
      { method: 'PUT', bucket, key: 'videos/x/a.mp4', query: { partNumber: '2', uploadId: 'u' }, ttlSeconds: TTL },
    ] as const;
    const urls = [];
    for (const request of requests) urls.push((await signer.sign(request)).url);
    for (const request of requests) urls.push((await signer.sign(request)).url);
    t.equal(new Set(urls).size, requests.length, 'one URL per request, the same one when asked again');
    t.same(urls.slice(requests.length), urls.slice(0, requests.length));
    // Each answer matches what a signer that kept nothing signs for it.
    const fresh = async (request: (typeof requests)[number]) => (await createUrlSigner(connection, { credentials, now: () => now }).sign(request)).url;
    t.same(urls.slice(requests.length), await Promise.all(requests.map(fresh)), 'as a fresh signer signs each');
  });

  t.test('rotated credentials sign anew within the window', async (t) => {
    now = Date.UTC(2026, 0, 1, 12, 0, 0);
    let current = credentials;
    const rotating = createUrlSigner(connection, { credentials: async () => current, now: () => now });
    const request = { method: 'GET', bucket: 'acme-123456789012-eu-west-1', key: 'k', ttlSeconds: TTL } as const;
    const before = await rotating.sign(request);
    current = { accessKeyId: 'AKIDROTATED', secretAccessKey: 'another-secret-key-of-the-rotated-credentials' };
    const after = await rotating.sign(request);
    t.not(after.url, before.url);
    t.match(new URL(after.url).searchParams.get('X-Amz-Credential'), /^AKIDROTATED\//, 'signed with the new key');
    current = credentials;
    t.equal((await rotating.sign(request)).url, before.url, 'the first credentials again: their link');
  });

  t.test('past the links kept for a window, every link is still the one its request signs', async (t) => {
    now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const first = await read();
    // More distinct links than a window keeps (10,000): the kept set starts over.
    for (let index = 0; index < 10_050; index += 1) await signer.sign({ method: 'GET', bucket: 'acme-123456789012-eu-west-1', key: `thumbnails/x/${index}.jpg`, ttlSeconds: TTL });
    t.equal((await read()).url, first.url);
  });

  t.test('temporary credentials: the session token is signed in, and the link ends with the credentials', async (t) => {
    now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const expiration = new Date(now + 10 * 60_000);
    let calls = 0;
    const session = createUrlSigner(connection, {
      credentials: async () => (calls++, { ...credentials, sessionToken: 'FwoGZXIvYXdzEJr//token+/=', expiration }),
      now: () => now,
    });
    const { url, expiresAt } = await session.sign({ method: 'GET', bucket: 'acme-123456789012-eu-west-1', key: 'k', ttlSeconds: TTL });
    t.equal(new URL(url).searchParams.get('X-Amz-Security-Token'), 'FwoGZXIvYXdzEJr//token+/=');
    t.same(expiresAt, expiration, 'the credentials end before the TTL');
    t.ok(calls > 0, 'the provider is asked');
  });
});

t.test('on AWS the bucket is addressed as the SDK client addresses it (the regional endpoint)', async (t) => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  for (const [region, Bucket] of [
    ['eu-west-1', 'acme-123456789012-eu-west-1'],
    ['us-east-1', 'acme-123456789012-us-east-1'],
    ['cn-north-1', 'acme-123456789012-cn-north-1'],
    ['eu-west-1', 'a.dotted.bucket'],
  ] as const) {
    const s3 = new S3Client({ region, credentials });
    const Key = 'thumbnails/01J0000000000000000000000/w 320+.jpg';
    const sdks = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key }), { expiresIn: TTL }));
    const ours = new URL((await createUrlSigner({ region }, { credentials }).sign({ method: 'GET', bucket: Bucket, key: Key, ttlSeconds: TTL })).url);
    t.equal(`${ours.origin}${ours.pathname}`, `${sdks.origin}${sdks.pathname}`, `${region} ${Bucket}`);
    t.equal(ours.searchParams.get('X-Amz-Credential')?.split('/').slice(2).join('/'), `${region}/s3/aws4_request`, `${region}: the credential scope`);
    s3.destroy();
  }
});

// The local program's bucket create against a real versitygw, behind a loopback proxy that answers
// the first creates itself with the refusal versitygw 1.8 gives spuriously under concurrent
// requests ("XAdminUserNotFound"): the create is asked again and the bucket made; refused every
// time, it fails with the reason and leaves no bucket; another refusal is never asked again.
import t, { type Test } from 'tap';
import { createServer, request as httpRequest } from 'node:http';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { createBucket, LOCAL_CLOUD_ENV } from '../../src/stacks/local-cloud-actions.js';
import { startTestStore, testS3Client } from '../helpers/local-store.js';

const REFUSAL = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>XAdminUserNotFound</Code><Message>No user exists with the provided access key ID.</Message></Error>';

/** Forwards to `target`, except the first `refusals` bucket creates (PUT /<bucket>), answered 403 XAdminUserNotFound. */
async function refusingProxy(t: Test, target: string, refusals: number) {
  const upstream = new URL(target);
  const creates: string[] = [];
  const server = createServer((req, res) => {
    const isCreate = req.method === 'PUT' && /^\/[^/?]+\/?(\?|$)/.test(req.url ?? '');
    if (isCreate) creates.push(req.url!);
    if (isCreate && creates.length <= refusals) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' }).end(REFUSAL);
      return;
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, creates };
}

t.test('a bucket create refused spuriously is asked again', async (t) => {
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const exists = (name: string) => s3.send(new HeadBucketCommand({ Bucket: name })).then(() => true, () => false);
  const through = async (refusals: number) => {
    const proxy = await refusingProxy(t, store.connection.endpoint, refusals);
    process.env[LOCAL_CLOUD_ENV] = JSON.stringify({ dataDir: store.dataDir, connection: { ...store.connection, endpoint: proxy.url } });
    return proxy;
  };
  t.teardown(() => void delete process.env[LOCAL_CLOUD_ENV]);

  const twice = await through(2);
  await createBucket('thumbforge-refused-twice');
  t.equal(twice.creates.length, 3, 'two refusals, then the create that made it');
  t.ok(await exists('thumbforge-refused-twice'), 'the bucket exists');

  const always = await through(100);
  await t.rejects(createBucket('thumbforge-refused-always'), { message: /^cannot create bucket "thumbforge-refused-always": XAdminUserNotFound/ });
  t.equal(always.creates.length, 3, 'asked three times in all');
  t.notOk(await exists('thumbforge-refused-always'), 'and no bucket left');

  const other = await through(0);
  await t.rejects(createBucket('thumbforge-refused-twice'), { message: /^cannot create bucket "thumbforge-refused-twice": BucketAlready/ }, 'an existing bucket fails the create, as on S3');
  t.equal(other.creates.length, 1, 'a refusal of another kind is not asked again');
});

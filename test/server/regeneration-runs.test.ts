// The aws target's regeneration: the real Lambda client against a fake Lambda on loopback (AWS is the
// only thing stood in for; the fake speaks Lambda's REST protocol and records each Invoke). The
// tenant's function is invoked asynchronously (InvocationType Event) with the S3 event of the stored
// video and the regeneration beside it; a refused or failed invoke is a ThumbnailerUnavailable (503).
import t, { type Test } from 'tap';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ThumbnailerUnavailable } from '../../src/domain/errors.js';
import { newRegenerationId } from '../../src/domain/thumbnail-regeneration.js';
import { newVideoId, videoKey } from '../../src/domain/video-layout.js';
import type { ThumbnailEvent } from '../../src/lambda-image/handler.js';
import { lambdaRegenerations } from '../../src/server/videos/regeneration-runs.js';

type Invocation = { method: string; path: string; headers: IncomingHttpHeaders; body: string };

/** A fake Lambda: answers each Invoke with the next scripted status (202 once the script is spent). */
async function fakeLambda(t: Test, script: Array<{ status: number; error?: string }> = []) {
  const invocations: Invocation[] = [];
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    invocations.push({ method: request.method!, path: request.url!, headers: request.headers, body });
    const next = script.shift() ?? { status: 202 };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (next.error) headers['x-amzn-errortype'] = next.error;
    response.writeHead(next.status, headers).end(next.error ? JSON.stringify({ Type: 'User', message: `${next.error} (fake)` }) : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const lambda = new LambdaClient({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
    maxAttempts: 1,
  });
  t.teardown(() => lambda.destroy());
  return { lambda, invocations };
}

const run = () => {
  const id = newVideoId();
  return { functionName: 'thumbforge-acme', bucket: 'acme-123456789012-eu-west-1', key: videoKey(id, 'my clip+1.mp4'), size: 1234, regeneration: { id: newRegenerationId(), at: 1 } };
};

t.test("an asynchronous invoke of the tenant's function with the S3 event shape and the regeneration beside it", async (t) => {
  const { lambda, invocations } = await fakeLambda(t);
  const start = lambdaRegenerations(lambda, 'eu-west-1');
  const asked = run();
  // Nothing is sent on the transaction: the invoke is the run's start.
  await start(asked, { query: async () => t.fail('no query on the transaction') as never });
  t.equal(invocations.length, 1);
  const [invocation] = invocations;
  t.equal(invocation!.method, 'POST');
  t.equal(invocation!.path, '/2015-03-31/functions/thumbforge-acme/invocations', "the tenant's function, by name");
  t.equal(invocation!.headers['x-amz-invocation-type'], 'Event', 'InvocationType Event: asynchronous');
  t.match(invocation!.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request/, 'signed for lambda in the region');
  const event = JSON.parse(invocation!.body) as ThumbnailEvent;
  t.same(Object.keys(event).sort(), ['Records', 'regeneration'], 'the records, and the regeneration beside them');
  t.same(event.regeneration, asked.regeneration);
  t.equal(event.Records.length, 1);
  t.match(event.Records[0], {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-1',
    eventName: 'ObjectCreated:Put',
    eventTime: String,
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: asked.bucket, arn: `arn:aws:s3:::${asked.bucket}` },
      object: { key: asked.key.replace('my clip+1', 'my+clip%2B1'), size: 1234 },
    },
  }, 'the record S3 would send for the stored video, its key URL-encoded');
});

t.test('a refused invoke, or one not accepted, throws ThumbnailerUnavailable', async (t) => {
  const { lambda, invocations } = await fakeLambda(t, [
    { status: 404, error: 'ResourceNotFoundException' },
    { status: 429, error: 'TooManyRequestsException' },
    { status: 200 },
  ]);
  const start = lambdaRegenerations(lambda, 'eu-west-1');
  const noTx = { query: async () => t.fail('no query on the transaction') as never };
  await t.rejects(start(run(), noTx), new ThumbnailerUnavailable('the thumbnailer function thumbforge-acme could not be invoked (ResourceNotFoundException); nothing changed, retry'));
  await t.rejects(start(run(), noTx), { constructor: ThumbnailerUnavailable, message: /TooManyRequestsException/ });
  await t.rejects(start(run(), noTx), { constructor: ThumbnailerUnavailable, message: /answered the invoke with 200/ }, 'a synchronous answer is not an asynchronous invoke');
  t.equal(invocations.length, 3);
});

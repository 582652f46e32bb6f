// The service's logs never contain a token, an API key, a passphrase, the object store's secret
// key, the object-event webhook secret, a webhook endpoint's signing secret or the key it is sealed
// under, or a presigned signature: a whole session at debug level (a webhook delivered included),
// checked line by line. The only place the admin token appears is the one line that shows it on
// first start.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/local-store.js';
import { makeVideo } from '../helpers/videos.js';
import { startMain } from '../helpers/main-process.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

/** Polls until `read` answers; the deadline only catches a hang (a tenant's up, a thumbnail on loaded cores stay far inside it). */
async function poll<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

t.test('a whole session logs no secret', async (t) => {
  const dataDir = await tempDir(t, 'thumbforge-logs-');
  const main = await startMain(t, { THUMBFORGE_DATA_DIR: dataDir, LOG_LEVEL: 'debug' });
  await main.started();
  const { url } = main;

  const secret = (name: string) => readFile(join(dataDir, 'secrets', name), 'utf8').then((value) => value.trim());
  const adminToken = await secret('admin-token');
  const api = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });

  const created = await api('/tenants', adminToken, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'quiet' }) });
  t.equal(created.status, 202);
  const { apiKey } = (await created.json()) as { apiKey: string };
  await poll(async () => ((await (await api('/tenants/quiet', adminToken)).json()) as { status: string }).status === 'ready' || undefined, 'the tenant');

  const video = await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 1 });
  const form = new FormData();
  form.append('file', new Blob([await readFile(video)], { type: 'video/mp4' }), 'clip.mp4');
  const uploaded = await api('/videos', apiKey, { method: 'POST', body: form });
  t.equal(uploaded.status, 201);
  const { id } = (await uploaded.json()) as { id: string };
  await poll(async () => ((await (await api(`/videos/${id}`, apiKey)).json()) as { status: string }).status === 'ready' || undefined, 'the thumbnails');
  t.equal((await api('/tenants', 'tf_quiet_wrong-key-for-the-log')).status, 401);

  // A webhook endpoint, and a signed delivery to it (a drift check ends, with operation.succeeded).
  const receiver = await startWebhookReceiver(t);
  const endpoint = await api('/webhooks', apiKey, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: receiver.url }) });
  t.equal(endpoint.status, 201);
  const { secret: webhookSecret } = (await endpoint.json()) as { secret: string };
  receiver.secret = webhookSecret;
  t.equal((await api('/tenants/quiet/refresh', adminToken, { method: 'POST' })).status, 202);
  await poll(async () => (receiver.received.some((message) => message.message?.type === 'operation.succeeded') ? true : undefined), 'the webhook delivery');
  t.equal((await api('/webhooks', apiKey)).status, 200);

  main.kill('SIGTERM');
  t.equal(await main.exited, 0);
  const output = main.output();

  const secrets = {
    'admin token': adminToken,
    'API key': apiKey,
    'rejected API key': 'tf_quiet_wrong-key-for-the-log',
    'Pulumi passphrase': await secret('pulumi-passphrase'),
    'object store secret key': await secret('s3-secret-key'),
    'webhook signing secret': webhookSecret,
    "webhook signing secret's key part": webhookSecret.slice('whsec_'.length),
    'webhook secret key': await secret('webhook-secret-key'),
  };
  const logLines = output.split('\n').filter((line) => line.startsWith('{'));
  t.ok(logLines.length > 20, `a session's worth of structured log lines (${logLines.length})`);
  t.ok(logLines.some((line) => line.includes('/internal/object-events')), 'the webhook requests are logged');
  for (const [what, value] of Object.entries(secrets)) {
    t.same(logLines.filter((line) => line.includes(value)), [], `no log line holds the ${what}`);
  }
  t.same(logLines.filter((line) => /secret=(?!\[redacted\])/.test(line)), [], 'the webhook secret is redacted');
  t.same(logLines.filter((line) => /X-Amz-Signature=(?!\[redacted\])/i.test(line)), [], 'no presigned signature');
  const plain = output.split('\n').filter((line) => !line.startsWith('{') && line.includes(adminToken));
  t.equal(plain.length, 1, 'the admin token is shown once, on its own line');
  t.match(plain[0], /admin token/);
});

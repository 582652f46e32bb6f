// A restart on the local target with the same data dir and ports loses nothing: the tenant, its
// API key, its videos and the links already handed out still work, and no secret is made anew.
import t from 'tap';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { secretsDir } from '../../src/local/data-dir-secret.js';
import { eventually } from '../helpers/stacks.js';
import { servicePlace, startTestService, type TestService } from '../helpers/service.js';
import { tempDir } from '../helpers/local-store.js';
import { makeVideo } from '../helpers/videos.js';

type Json = Record<string, any>;

async function json(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}

t.test('a restarted service keeps tenants, keys, videos and presigned links', async (t) => {
  const place = await servicePlace(t);
  const videos = await tempDir(t);

  const first: TestService = await startTestService(t, {}, place);
  t.ok(first.adminTokenCreated, 'the first start creates the admin token');
  t.equal(new URL(first.url).hostname, '127.0.0.1', 'tests listen on loopback');
  const created = await first.api('/tenants', { method: 'POST', json: { id: 'acme', thumbnail: { widths: [96] } } });
  t.equal(created.status, 202, 'POST /tenants: 202');
  const { apiKey } = (await created.json()) as Json;
  const before = await eventually(async () => {
    const tenant = await json(await first.api('/tenants/acme'));
    return tenant.status === 'ready' ? tenant : undefined;
  }, 'acme ready');

  const upload = new FormData();
  upload.append('file', new Blob([await readFile(await makeVideo(videos, { name: 'clip.mp4', seconds: 1 }))]), 'clip.mp4');
  const uploaded = await first.api('/videos', { method: 'POST', token: apiKey, body: upload });
  t.equal(uploaded.status, 201, 'POST /videos: 201');
  const { id: videoId } = (await uploaded.json()) as Json;
  const video = await eventually(async () => {
    const state = await json(await first.api(`/videos/${videoId}`, { token: apiKey }));
    return state.status === 'ready' ? state : undefined;
  }, 'the thumbnail', 120_000);
  const link = video.thumbnails[0].url as string;
  const thumbnail = Buffer.from(await (await fetch(link)).arrayBuffer());
  t.ok(thumbnail.length > 0, 'the link answers before the restart');

  await first.close();
  await t.rejects(fetch(first.url), 'the first service is gone');

  const second = await startTestService(t, {}, place);
  t.equal(second.url, first.url, 'the same address');
  t.notOk(second.adminTokenCreated, 'the second start reuses the admin token');
  t.equal(second.adminToken, first.adminToken);

  const after = await json(await second.api('/tenants/acme', { token: apiKey }));
  t.match(after, { status: 'ready', lastOperation: { id: before.lastOperation.id, status: 'succeeded' } }, 'the same tenant key still works');
  t.same(after.outputs, before.outputs, 'the same outputs');
  t.same(after.settings, before.settings, 'the same settings');
  t.match(await json(await second.api(`/videos/${videoId}`, { token: apiKey })), { status: 'ready' }, 'the video and its thumbnail are still there');

  const again = await fetch(link);
  t.equal(again.status, 200, 'the presigned link from before the restart still answers');
  t.same(Buffer.from(await again.arrayBuffer()), thumbnail, 'with the same image');

  const secrets = await readdir(secretsDir(place.dataDir));
  t.same(secrets.sort(), ['admin-token', 'pulumi-passphrase', 's3-access-key', 's3-secret-key', 'webhook-secret-key'], 'the secrets kept in the data dir');
  for (const name of secrets) {
    t.equal((await stat(join(secretsDir(place.dataDir), name))).mode & 0o777, 0o600, `${name} is readable by its owner only`);
  }
});

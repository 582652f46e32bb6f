// An upload's own thumbnail time: POST /videos takes a form field "at" (before the file), validated
// as the settings' `at`, and stores it as the object's metadata (VIDEO_AT_METADATA), which the
// thumbnailer reads; without one the object carries none. Real app, adapter and object store; the
// tenant record is given directly (the stacks are not under test here).
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/config.js';
import { newApiKey } from '../../src/domain/api-keys.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { VIDEO_AT_METADATA } from '../../src/domain/video-layout.js';
import { buildApp } from '../../src/server/app.js';
import type { Tenant, TenantLifecycle } from '../../src/tenants/tenant-types.js';
import { startTestStore, tempDir, testS3Client } from '../helpers/local-store.js';
import { makeVideo } from '../helpers/videos.js';

t.test('POST /videos with a form field "at" stores it as the video’s metadata', async (t) => {
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const bucket = 'upload-at';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const apiKey = newApiKey('acme');
  const now = new Date().toISOString();
  const tenant: Tenant = {
    id: 'acme',
    status: 'ready',
    settings: DEFAULT_THUMBNAIL_SETTINGS,
    settingsVersion: 1,
    outputs: { bucket, bucketArn: `arn:aws:s3:::${bucket}`, functionName: 'f', functionArn: 'arn', region: 'us-east-1' },
    createdAt: now,
    updatedAt: now,
  };
  const tenants = {
    get: async (id: string) => (id === tenant.id ? tenant : undefined),
    authenticate: async (key: string) => (key === apiKey ? tenant.id : undefined),
  } as TenantLifecycle;
  const app = await buildApp({ config: loadConfig({}), adminToken: 'a'.repeat(32), services: Promise.resolve({ tenants, objectStore: store.connection, ready: async () => true }), logLevel: 'silent' });
  t.teardown(() => app.close());
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'clip.mp4' }));

  const upload = async (at?: string) => {
    const form = new FormData();
    if (at !== undefined) form.append('at', at);
    form.append('file', new Blob([video]), 'clip.mp4');
    const request = new Request('http://x/videos', { method: 'POST', body: form });
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': request.headers.get('content-type')! };
    return app.inject({ method: 'POST', url: '/videos', headers, payload: Buffer.from(await request.arrayBuffer()) });
  };
  const metadataOf = async (key: string) => (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata;

  for (const at of ['25%', '1.5', 'auto']) {
    const response = await upload(at);
    t.equal(response.statusCode, 201, `at=${at}`);
    t.same(await metadataOf((response.json() as { key: string }).key), { [VIDEO_AT_METADATA]: at });
  }
  const plain = await upload();
  t.equal(plain.statusCode, 201);
  t.same(await metadataOf((plain.json() as { key: string }).key), {}, 'none without one');

  const refused = await upload('later');
  t.equal(refused.statusCode, 400);
  t.match(refused.json(), { status: 400, detail: /"at"/ });
});

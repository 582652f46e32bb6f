// The tenant's console end to end, in real headless Chromium against the whole service on the local
// target: webhook endpoints (a refused URL by its field, the secret shown once, the delivery log of a
// real receiver on loopback that fails its first attempt, redelivery), the video gallery (metadata,
// poster, storyboard scrubbed by pointer and keys, the animated preview), delete with confirmation,
// a direct upload of a file over 64 MiB, interrupted by a page reload and resumed, and the bucket's
// CORS rule that lets the browser do it. Each result is checked through the API and the store too. No console errors but Chromium's own 4xx lines.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteBucketCorsCommand, GetBucketCorsCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Locator, Request, Route } from 'playwright-core';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { THUMBNAIL_PREFIX, VIDEO_PREFIX } from '../../src/domain/video-layout.js';
import { expectProblem, json, type Json } from '../helpers/http.js';
import { tempDir } from '../helpers/local-store.js';
import { startTestService } from '../helpers/service.js';
import { eventually } from '../helpers/stacks.js';
import { makeVideo } from '../helpers/videos.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { launchConsoleBrowser, openConsole, pageWidth, screenshot, signIn } from './console-browser.js';

const MiB = 1024 * 1024;
const ENGINE_TIMEOUT_MS = 240_000;
/** Chromium logs every 4xx answer as a console error itself; the tests provoke some on purpose. */
const CHROMIUM_4XX = /^Failed to load resource: the server responded with a status of 4\d\d/;
/** An <img> in the page, typed structurally (the test's own TypeScript has no DOM types). */
type Picture = { complete: boolean; naturalWidth: number; addEventListener(type: 'load' | 'error', listener: () => void, options: { once: true }): void };
/** Whether the image loads (waiting for it if it is still on its way): a picture with pixels. */
const pictureLoads = (image: Locator) =>
  image.evaluate((element: Picture) =>
    element.complete && element.naturalWidth > 0
      ? true
      : new Promise<boolean>((resolve) => {
          element.addEventListener('load', () => resolve(element.naturalWidth > 0), { once: true });
          element.addEventListener('error', () => resolve(false), { once: true });
        }),
  );
type Styled = { style: { backgroundPosition: string; backgroundImage: string } };

t.test('the tenant console: webhooks, the gallery, delete, and a resumed direct upload', async (t) => {
  const browser = await launchConsoleBrowser(t);
  // Retries a second or two after a failed attempt, so the receiver's first refusal is followed quickly.
  const service = await startTestService(t, { THUMBFORGE_WEBHOOK_RETRY_DELAY_SECONDS: '1' });
  const storePort = new URL(service.objectStore.endpoint!).port;
  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());
  const tenantId = 'e2e-gallery';
  const created = await json(
    await service.api('/tenants', { method: 'POST', json: { id: tenantId, thumbnail: { widths: [160, 320], storyboard: { intervalSeconds: 1, columns: 2 }, preview: {} } } }),
  );
  const apiKey = created.apiKey as string;
  const api = (path: string, call: Parameters<typeof service.api>[1] = {}) => service.api(path, { token: apiKey, ...call });
  const bucket = await eventually(async () => {
    const tenant = await json(await service.api(`/tenants/${tenantId}`));
    if (tenant.status === 'failed') throw new Error(`the tenant failed: ${JSON.stringify(tenant.lastOperation)}`);
    return tenant.status === 'ready' ? (tenant.outputs.bucket as string) : undefined;
  }, 'the tenant is ready', ENGINE_TIMEOUT_MS);
  const receiver = await startWebhookReceiver(t, (attempt) => (attempt === 1 ? 503 : 204));
  const videos = await tempDir(t);
  const clip = await makeVideo(videos, { name: 'harbour at dusk.mp4', seconds: 4 });

  const page = await browser.newPage();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  /** Every part PUT to the store, by part number, in the order the browser sent them. */
  const partsPut: number[] = [];
  const storeAnswers = new Map<string, number>();
  const isPartPut = (request: Request) => request.method() === 'PUT' && new URL(request.url()).port === storePort;
  page.on('request', (request) => {
    if (isPartPut(request)) partsPut.push(Number(new URL(request.url()).searchParams.get('partNumber')));
  });
  page.on('response', (response) => {
    if (new URL(response.url()).port === storePort) storeAnswers.set(response.url(), response.status());
  });
  await openConsole(page, service.url);
  await signIn(page, apiKey);
  await page.getByRole('heading', { name: `Tenant ${tenantId} ready` }).waitFor();
  const webhooks = page.getByRole('region', { name: 'Webhooks' });
  const urlField = webhooks.getByLabel('Endpoint URL');
  let endpointId = '';

  t.test('a private address is refused next to the URL field, and nothing is created', async (t) => {
    await urlField.fill('https://10.0.0.7/hooks');
    await webhooks.getByRole('button', { name: 'Add endpoint' }).click();
    const refusal = webhooks.locator('.field', { has: page.getByLabel('Endpoint URL') }).getByRole('alert');
    await refusal.waitFor();
    const problem = await expectProblem(t, await api('/webhooks', { method: 'POST', json: { url: 'https://10.0.0.7/hooks' } }), 400, 'the same URL through the API');
    t.equal(await refusal.textContent(), problem.detail, "the API's detail, next to the field");
    t.equal(await urlField.getAttribute('aria-invalid'), 'true');
    t.same((await json(await api('/webhooks'))).items, [], 'no endpoint was created');
    await screenshot(page, 'tenant-01-webhook-refused');
  });

  t.test('an endpoint is added: its secret is shown once and copies, and it is listed without it', async (t) => {
    await urlField.fill(receiver.url);
    for (const type of ['video.ready', 'video.deleted']) await webhooks.getByLabel(type, { exact: true }).check();
    await webhooks.getByRole('button', { name: 'Add endpoint' }).click();
    const secretField = webhooks.getByRole('textbox', { name: 'Signing secret' });
    const secret = await secretField.inputValue();
    t.match(secret, /^whsec_/, 'the signing secret is shown');
    receiver.secret = secret;
    await webhooks.getByRole('button', { name: 'Copy secret' }).click();
    await webhooks.getByText('Copied.').waitFor();
    t.equal(await page.evaluate<string>('navigator.clipboard.readText()'), secret, 'Copy puts it on the clipboard');
    await screenshot(page, 'tenant-02-webhook-secret');
    await webhooks.getByRole('button', { name: 'I have saved it' }).click();
    await secretField.waitFor({ state: 'detached' });
    t.notMatch(await page.content(), secret, 'once dismissed, the secret is nowhere on the page');

    const listed = (await json(await api('/webhooks'))).items as Json[];
    t.match(listed, [{ url: receiver.url }]);
    t.same(listed[0]!.events.toSorted(), ['video.deleted', 'video.ready'], 'sent only the types ticked');
    t.notMatch(JSON.stringify(listed), secret, 'the list never carries it');
    endpointId = listed[0]!.id;
    const row = webhooks.locator(`tr[data-endpoint="${endpointId}"]`);
    t.match(await row.textContent(), receiver.url);
    await row.getByRole('button', { name: `Deliveries to ${receiver.url}` }).click();
    await webhooks.getByText('Nothing sent yet').waitFor();
  });

  const card = page.locator('.video-card', { hasText: 'harbour at dusk.mp4' });
  let videoId = '';
  let detail: Json = {};

  t.test('an uploaded video is listed pending, then ready with its metadata and its poster', async (t) => {
    await page.getByLabel('Choose videos').setInputFiles(clip);
    await card.waitFor();
    await page.locator('.video-card[data-status="ready"]', { hasText: 'harbour at dusk.mp4' }).waitFor({ timeout: ENGINE_TIMEOUT_MS });
    videoId = (await card.getAttribute('data-video'))!;
    detail = await json(await api(`/videos/${videoId}`));
    t.match(detail, { status: 'ready', width: 320, height: 180, poster: { url: String }, storyboard: { json: String }, preview: { url: String } });
    // Every output is in the catalog now: the gallery reads the list once more and makes the card
    // of the final row. A card is made again when its row changed since the gallery last read it, and
    // the upload panel's own "ready" asks for such a read at a moment of its own: without this, that
    // read could replace the card in the middle of the scrubbing below (seen once on a loaded machine).
    const gallery = page.getByRole('region', { name: 'Videos' });
    const grid = gallery.getByRole('list', { name: 'Videos, newest first' });
    await page.locator('.upload[data-status="ready"]', { hasText: 'harbour at dusk.mp4' }).waitFor();
    await grid.evaluate((list: { setAttribute(name: string, value: string): void }) => list.setAttribute('aria-busy', 'true'));
    await gallery.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('ul.videos[aria-busy="false"]').waitFor();
    const listed = ((await json(await api('/videos?status=ready'))).items as Json[]).find((item) => item.id === videoId);
    t.match(listed, { name: 'harbour at dusk.mp4', size: detail.size }, 'the catalog lists it as ready');
    const facts = Object.fromEntries(
      await card.locator('.video-facts > div').evaluateAll((rows: Array<{ children: ArrayLike<{ textContent: string | null }> }>) =>
        rows.map((row) => [row.children[0]!.textContent, row.children[1]!.textContent]),
      ),
    );
    t.match(facts, { Length: '0:04', Display: '320×180', Size: /KB$/ }, 'length, display size and file size as the API says');
    t.ok(facts.Uploaded && facts.Ready, 'when it was uploaded and when it became ready');
    t.ok(await pictureLoads(card.locator('img.media-poster')), 'the poster loads');
    t.equal(await card.locator('img.media-poster').getAttribute('src'), detail.poster.url, 'the poster is shown');
    await screenshot(page, 'tenant-03-gallery-ready');
  });

  t.test('the storyboard is scrubbed by pointer and by keys, from storyboard.json', async (t) => {
    const index = (await (await fetch(detail.storyboard.json)).json()) as Json;
    t.match(index, { tileWidth: 160, tileHeight: 90, sheets: [{ columns: 2, rows: 2 }] }, 'four tiles on one sheet of two columns');
    t.equal(index.cues.length, 4);
    const frame = card.getByRole('slider', { name: 'Storyboard of harbour at dusk.mp4' });
    const tile = card.locator('.media-tile');
    const box = (await frame.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.05, box.y + box.height / 2);
    await page.locator(`[data-video="${videoId}"] .media-tile[data-cue="0"]`).waitFor();
    const first = await tile.evaluate((element: Styled) => element.style.backgroundPosition);
    await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2);
    await page.locator(`[data-video="${videoId}"] .media-tile[data-cue="3"]`).waitFor();
    const last = await tile.evaluate((element: Styled) => element.style.backgroundPosition);
    t.equal(first, '0% 0%', "the first cue's tile: the sheet's top left");
    t.equal(last, '100% 100%', "the last cue's tile: the sheet's bottom right");
    t.equal(await frame.getAttribute('data-showing'), 'tile');
    t.match(await tile.evaluate((element: Styled) => element.style.backgroundImage), detail.storyboard.images[0], 'cut from the sheet the API links');
    t.equal(storeAnswers.get(detail.storyboard.images[0]), 200, 'which the store served');
    await screenshot(page, 'tenant-04-storyboard-scrub');
    await page.mouse.move(0, 0);
    await page.locator(`[data-video="${videoId}"] .media[data-showing="poster"]`).waitFor();

    await frame.focus();
    await page.keyboard.press('Home');
    await page.locator(`[data-video="${videoId}"] .media-tile[data-cue="0"]`).waitFor();
    await page.keyboard.press('ArrowRight');
    await page.locator(`[data-video="${videoId}"] .media-tile[data-cue="1"]`).waitFor();
    t.equal(await frame.getAttribute('aria-valuetext'), '0:01 of 0:04', 'the slider says where it is');
    await page.keyboard.press('End');
    await page.locator(`[data-video="${videoId}"] .media-tile[data-cue="3"]`).waitFor();
    await page.keyboard.press('Escape');
    await page.locator(`[data-video="${videoId}"] .media[data-showing="poster"]`).waitFor();
  });

  t.test('the animated preview plays when asked', async (t) => {
    const toggle = card.getByRole('button', { name: 'Play preview' });
    t.equal(await card.locator('img.media-preview').getAttribute('src'), null, 'nothing is loaded before it is played');
    await toggle.focus();
    await page.keyboard.press('Enter');
    t.equal(await toggle.getAttribute('aria-pressed'), 'true');
    t.ok(await pictureLoads(card.locator('img.media-preview')), 'the preview loads');
    t.ok(await card.locator('img.media-preview').isVisible(), 'the preview is shown in the frame');
    const webp = Buffer.from(await (await fetch(detail.preview.url)).arrayBuffer());
    t.ok(webp.subarray(0, 4).toString() === 'RIFF' && webp.includes('ANIM'), 'an animated WebP');
    await screenshot(page, 'tenant-05-preview');
    await toggle.click();
    await page.locator(`[data-video="${videoId}"] .media[data-showing="poster"]`).waitFor();
  });

  t.test('the delivery log shows video.ready delivered on its second attempt, and redelivers it', async (t) => {
    const deliveries = `/webhooks/${endpointId}/deliveries`;
    const delivery = await eventually(async () => {
      const items = (await json(await api(deliveries))).items as Json[];
      return items.find((item) => item.eventType === 'video.ready' && item.status === 'delivered');
    }, 'video.ready is delivered');
    const log = webhooks.locator(`section[data-endpoint="${endpointId}"]`);
    await log.getByRole('button', { name: 'Refresh' }).click();
    const entry = log.locator(`[data-delivery="${delivery.id}"]`);
    await entry.waitFor();
    t.equal(await entry.getAttribute('data-status'), 'delivered');
    t.match(await entry.textContent(), /2 attempts.*last answer 204/s);
    await entry.getByText('Attempts (2)').click();
    t.same(await entry.locator('.attempt-log li').allTextContents().then((lines) => lines.map((line) => line.replace(/^#(\d).*· (answered \d+)$/, '$1 $2'))), [
      '2 answered 204',
      '1 answered 503',
    ], 'every attempt, newest first');
    const got = receiver.received.filter((message) => message.id === delivery.id);
    t.same(got.map((message) => [message.attempt, message.message?.type, message.error]), [[1, 'video.ready', undefined], [2, 'video.ready', undefined]], 'the receiver verified both attempts');
    await screenshot(page, 'tenant-06-delivery-log');

    await entry.getByRole('button', { name: `Redeliver video.ready ${delivery.id}` }).click();
    await log.locator(`[data-delivery="${delivery.id}"][data-status="delivered"]`, { hasText: '3 attempts' }).waitFor();
    t.same(receiver.received.filter((message) => message.id === delivery.id).map((message) => message.message?.type), ['video.ready', 'video.ready', 'video.ready'], 'the same message again');
  });

  t.test('delete asks first; confirmed, the video and its outputs are gone', async (t) => {
    const objects = async () =>
      (await Promise.all([VIDEO_PREFIX, THUMBNAIL_PREFIX].map(async (prefix) => (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}${videoId}/` }))).Contents ?? []))).flat();
    t.ok((await objects()).length > 2, 'the video and its outputs are in the bucket');
    await card.getByRole('button', { name: 'Delete harbour at dusk.mp4' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete harbour at dusk.mp4?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    t.equal((await api(`/videos/${videoId}`)).status, 200, 'cancelled: the video stays');
    await card.getByRole('button', { name: 'Delete harbour at dusk.mp4' }).click();
    await dialog.getByRole('button', { name: 'Delete video' }).click();
    await card.waitFor({ state: 'detached' });
    await expectProblem(t, await api(`/videos/${videoId}`), 404, 'the deleted video');
    t.notOk(((await json(await api('/videos'))).items as Json[]).some((item) => item.id === videoId), 'not in the catalog');
    t.same(await objects(), [], 'nothing of it is left in the bucket');
    await page.getByText('No videos yet').waitFor();
    await eventually(() => receiver.received.find((message) => message.message?.type === 'video.deleted'), 'the receiver is told');
  });

  t.test('a file over 64 MiB goes to the bucket in parts, survives a reload mid-upload, and resumes with the missing parts only', async (t) => {
    // A real video, then padding after its index: players ignore trailing bytes. 14 parts of 5 MiB.
    const head = await readFile(await makeVideo(videos, { name: 'head.mp4', seconds: 2 }));
    const bytes = Buffer.concat([head, randomBytes(66 * MiB - head.length)]);
    const big = join(videos, 'long take.mp4');
    await writeFile(big, bytes);
    const row = page.locator('.upload', { hasText: 'long take.mp4' });

    // Parts 5 and up are held in the browser, never reaching the store: the reload comes while they are on their way.
    const held: Route[] = [];
    let allHeld!: () => void;
    const threeHeld = new Promise<void>((resolve) => (allHeld = resolve));
    await page.route(
      (url) => url.port === storePort,
      (route) => {
        if (!isPartPut(route.request()) || Number(new URL(route.request().url()).searchParams.get('partNumber')) < 5) return route.continue();
        held.push(route);
        if (held.length === 3) allHeld();
      },
    );
    partsPut.length = 0;
    await page.getByLabel('Choose videos').setInputFiles(big);
    await row.locator('.parts li').nth(13).waitFor();
    t.equal(await row.locator('.parts li').count(), 14, 'a bar per part');
    await threeHeld;
    await row.locator('.parts li[data-state="sent"]').nth(3).waitFor();
    t.equal(await row.getByText('4 of 14 parts in the store').count(), 1);
    await screenshot(page, 'tenant-07-direct-upload-parts');
    const stored = await page.evaluate<string | null>(`localStorage.getItem("thumbforge.uploads.${tenantId}")`);
    const upload = Object.values(JSON.parse(stored!) as Record<string, Json>)[0]!;
    t.same(Object.keys(upload.confirmed), ['1', '2', '3', '4'], 'the parts answered are remembered with their ETags');

    // Meanwhile part 5, cut off mid-body, is kept by the local store as if whole
    // (versity/versitygw#2414): it is listed with bytes that are not the file's, and this browser
    // never saw it answered.
    const before = await json(await api(`/uploads/${upload.uploadId}`));
    const cut = await fetch(before.parts.find((part: Json) => part.partNumber === 5).url, { method: 'PUT', body: randomBytes(5 * MiB) });
    t.equal(cut.status, 200);

    await page.reload();
    await page.getByRole('heading', { name: `Tenant ${tenantId} ready` }).waitFor();
    await page.unrouteAll();
    const state = await json(await api(`/uploads/${upload.uploadId}`));
    t.same(state.received.map((part: Json) => part.partNumber), [1, 2, 3, 4, 5], 'the parts held at the reload never arrived (but the cut one)');
    const interrupted = page.locator(`.upload[data-upload="${upload.uploadId}"]`);
    await interrupted.getByText('5 of 14 parts are in storage').waitFor();
    await screenshot(page, 'tenant-08-direct-upload-interrupted');

    partsPut.length = 0;
    await interrupted.getByLabel('Choose long take.mp4 again to resume').setInputFiles(clip);
    await interrupted.getByRole('alert').filter({ hasText: 'This is harbour at dusk.mp4' }).waitFor();
    t.same(partsPut, [], 'another file is refused before anything is sent');

    await interrupted.getByLabel('Choose long take.mp4 again to resume').setInputFiles(big);
    await page.locator(`.upload[data-upload="${upload.uploadId}"][data-status="ready"]`).waitFor({ timeout: ENGINE_TIMEOUT_MS });
    t.same(partsPut.toSorted((a, b) => a - b), [5, 6, 7, 8, 9, 10, 11, 12, 13, 14], 'only the parts missing, and the one this browser never saw answered');
    t.equal(await page.evaluate(`localStorage.getItem("thumbforge.uploads.${tenantId}")`), null, 'finished: nothing is kept to resume');

    const video = await json(await api(`/videos/${upload.videoId}`));
    t.match(video, { status: 'ready', size: bytes.length, name: 'long take.mp4' });
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: video.key }));
    const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
    t.equal(sha256(await object.Body!.transformToByteArray()), sha256(bytes), 'the stored video is the file, byte for byte');
    await page.locator(`.video-card[data-video="${upload.videoId}"][data-status="ready"]`).waitFor();
    await screenshot(page, 'tenant-09-direct-upload-done');
  });

  t.test('a video uploaded by another client shows on Refresh and turns ready while the gallery polls; the filter shows one status', async (t) => {
    const form = new FormData();
    form.append('file', new Blob([await readFile(clip)]), 'from the api.mp4');
    const uploaded = await api('/videos', { method: 'POST', body: form });
    t.equal(uploaded.status, 201);
    const { id } = await json(uploaded);
    const gallery = page.getByRole('region', { name: 'Videos' });
    await gallery.getByRole('button', { name: 'Refresh' }).click();
    await page.locator(`.video-card[data-video="${id}"]`).waitFor();
    // Nothing in this page uploaded it: only the gallery's own reads can see it become ready.
    await page.locator(`.video-card[data-video="${id}"][data-status="ready"]`).waitFor({ timeout: ENGINE_TIMEOUT_MS });
    t.equal((await json(await api(`/videos/${id}`))).status, 'ready');

    const filter = gallery.getByLabel('Show');
    await filter.selectOption('failed');
    await gallery.getByText('No failed videos.').waitFor();
    await filter.selectOption('ready');
    await page.locator(`.video-card[data-video="${id}"]`).waitFor();
    t.equal(await gallery.locator('.video-card').count(), 2, 'both ready videos');
    await filter.selectOption('');
  });

  t.test("the store admits the console's origin only", async (t) => {
    const { items } = await json(await api('/videos'));
    const poster = (await json(await api(`/videos/${items[0].id}`))).poster.url as string;
    const preflight = (origin: string) => fetch(poster, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT' } });
    const console = await preflight(service.url);
    t.equal(console.headers.get('access-control-allow-origin'), service.url);
    t.match(console.headers.get('access-control-expose-headers'), /ETag/);
    const other = await preflight('http://console.example');
    t.equal(other.headers.get('access-control-allow-origin'), null, 'another origin gets no CORS grant');
  });

  t.test("the CORS rule is the tenant stack's: removed behind Pulumi's back, a drift check names the bucket and an up restores it", async (t) => {
    const operationEnds = async (operation: Json) =>
      eventually(async () => {
        const { items } = await json(await service.api(`/tenants/${tenantId}/operations?limit=5`));
        const found = (items as Json[]).find((item) => item.id === operation.id);
        return found && !['queued', 'running'].includes(found.status) ? found : undefined;
      }, `operation ${operation.id} ends`, ENGINE_TIMEOUT_MS);
    const origins = async () => (await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules?.flatMap((rule) => rule.AllowedOrigins ?? []);
    t.same(await origins(), service.config.consoleOrigins, "the bucket admits the service's console origins");
    await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    const check = await json(await service.api(`/tenants/${tenantId}/refresh`, { method: 'POST' }));
    t.match(await operationEnds(check.operation), { status: 'succeeded' });
    const drift = (await json(await service.api(`/tenants/${tenantId}`))).drift;
    t.match(drift, { status: 'drifted' });
    t.same(drift.changes.map((change: Json) => [change.op, change.name]), [['update', 'bucket']], 'the bucket changed outside Pulumi');
    const repair = await json(await service.api(`/tenants/${tenantId}/retry`, { method: 'POST' }));
    t.match(await operationEnds(repair.operation), { status: 'succeeded' });
    t.same(await origins(), service.config.consoleOrigins, 'the up put the rule back');
  });

  t.test('the tenant page fits 360 px', async (t) => {
    await page.setViewportSize({ width: 360, height: 800 });
    await screenshot(page, 'tenant-10-360px');
    t.ok((await pageWidth(page)) <= 360, 'no sideways scrolling');
  });

  t.test('no console errors but Chromium\'s own 4xx lines, and no request leaves the machine', async (t) => {
    t.same(browser.consoleErrors.filter((error) => !CHROMIUM_4XX.test(error)), []);
    t.same(browser.outsideRequests, []);
  });
});

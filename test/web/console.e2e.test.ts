// The console end to end, in real headless Chromium against the whole service on the local target
// (real engine, object store, function runner, ffmpeg): the operator creates a tenant and watches
// it become ready, the tenant uploads a video and sees its thumbnail. No console errors allowed,
// no request leaves the machine; screenshots of each view go to test-output/screenshots.
import t from 'tap';
import type { Page } from 'playwright-core';
import { tempDir } from '../helpers/local-store.js';
import { startTestService } from '../helpers/service.js';
import { makeTruncatedVideo, makeVideo } from '../helpers/videos.js';
import { launchConsoleBrowser, openConsole, pageWidth, screenshot, signIn, storedToken } from './console-browser.js';

const ENGINE_TIMEOUT_MS = 240_000;

type Image = { naturalWidth: number };
/** What the page's images offer the wait below (the test's own TypeScript has no DOM types). */
type LoadingImage = Image & { complete: boolean; addEventListener(type: 'load' | 'error', listener: () => void): void };

/**
 * Waits for every image the selector matches to load or fail, then says whether all loaded. Through
 * Playwright's evaluate, which the console's CSP does not govern: `page.waitForFunction` with page
 * code as text polls through `eval`, which the CSP (rightly) refuses once the first check is false.
 */
async function imagesLoaded(page: Page, selector: string): Promise<boolean> {
  // No named functions inside: tsx would wrap them in a helper the page does not have.
  return page.locator(selector).evaluateAll(async (images: LoadingImage[]) => {
    await Promise.all(
      images.map((image) =>
        image.complete ? undefined : new Promise<void>((resolve) => ['load', 'error'].forEach((type) => image.addEventListener(type as 'load', resolve))),
      ),
    );
    return images.every((image) => image.naturalWidth > 0);
  });
}

t.test('operator creates a tenant, the tenant uploads a video and sees its thumbnail', async (t) => {
  const browser = await launchConsoleBrowser(t);
  const service = await startTestService(t);
  const videos = await tempDir(t);
  const video = await makeVideo(videos, { name: 'launch clip.mp4', seconds: 2 });
  const broken = await makeTruncatedVideo(videos, 'broken.mp4');
  const page = await browser.newPage();

  // Operator: sign in with the admin token.
  await openConsole(page, service.url);
  await screenshot(page, '01-sign-in');
  await signIn(page, service.adminToken);
  await page.getByRole('heading', { name: 'Tenants', exact: true }).waitFor();
  t.equal(await storedToken(page), service.adminToken, 'the token is kept in sessionStorage');
  t.notMatch(page.url(), service.adminToken, 'and never in the URL');

  // Create a tenant: the key is shown once, the progress view follows the engine to the end.
  const tenantId = 'e2e-films';
  await page.getByLabel('Tenant id').fill(tenantId);
  await page.getByLabel('Widths').fill('160, 320');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  const apiKey = await page.getByRole('textbox', { name: 'API key' }).inputValue();
  t.match(apiKey, new RegExp(`^tf_${tenantId}_`), 'the new API key is shown');
  const progress = page.locator(`section[data-tenant="${tenantId}"]`);
  await progress.getByRole('heading', { name: `Provisioning ${tenantId}` }).waitFor();
  await screenshot(page, '02-operator-provisioning');
  await progress.getByText('succeeded').waitFor({ timeout: ENGINE_TIMEOUT_MS });
  const bar = progress.locator('progress');
  const [value, max] = [Number(await bar.getAttribute('value')), Number(await bar.getAttribute('max'))];
  t.ok(max >= 3 && value === max, `the progress bar is full (${value}/${max})`);
  t.ok((await progress.getByRole('log').locator('li').count()) > 0, 'the event log shows engine events');
  await page.locator(`tr[data-tenant="${tenantId}"]`).getByText('ready').waitFor();
  await screenshot(page, '03-operator-ready');

  // Tenant: sign out, sign in with the key that was shown.
  await page.getByRole('button', { name: 'Sign out' }).click();
  t.equal(await storedToken(page), null, 'signing out forgets the token');
  await signIn(page, apiKey);
  await page.getByRole('heading', { name: `Tenant ${tenantId} ready` }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: `Tenant ${tenantId} ready` }).waitFor();
  t.pass('the session survives a reload of the tab');
  await screenshot(page, '04-tenant-empty');

  // Two videos at once through the picker: one gets its thumbnails, the broken one its reason.
  await page.getByLabel('Choose videos').setInputFiles([video, broken]);
  const upload = page.locator('.upload', { hasText: 'launch clip.mp4' });
  await upload.locator('img').waitFor({ timeout: ENGINE_TIMEOUT_MS });
  const card = page.locator('.video-card[data-status="ready"]', { hasText: 'launch clip.mp4' });
  const tile = card.locator('img.media-poster');
  await tile.waitFor();
  t.ok(await imagesLoaded(page, '.upload img, .videos img'), 'every image of the uploads and the gallery loads');
  t.ok(await upload.locator('img').evaluate((image: Image) => image.naturalWidth > 0), 'the upload shows its thumbnail');
  t.ok(await tile.evaluate((image: Image) => image.naturalWidth > 0), 'the gallery shows the thumbnail');
  t.equal(await upload.getAttribute('data-status'), 'ready');
  const failed = page.locator('.upload[data-status="failed"]', { hasText: 'broken.mp4' });
  await failed.waitFor({ timeout: ENGINE_TIMEOUT_MS });
  t.match(await failed.getByRole('alert').textContent(), /\w/, 'the broken video shows why it failed');
  await screenshot(page, '05-tenant-thumbnail');

  // All sizes of the video, then back with Escape.
  await card.getByRole('button', { name: 'All thumbnail sizes of launch clip.mp4' }).click();
  const sizes = page.getByRole('dialog', { name: 'Thumbnail sizes' });
  await sizes.locator('figure').nth(1).waitFor();
  t.ok(await imagesLoaded(page, 'dialog img'), 'every size loads');
  t.same((await sizes.locator('figcaption').allTextContents()).map((caption) => caption.split(' ')[0]), ['160', '320'], 'both sizes are shown');
  await screenshot(page, '06-tenant-sizes');
  await page.keyboard.press('Escape');
  await sizes.waitFor({ state: 'detached' });

  await page.setViewportSize({ width: 360, height: 800 });
  await screenshot(page, '07-tenant-360px');
  t.ok((await pageWidth(page)) <= 360, 'the tenant view with uploads and thumbnails fits 360 px without scrolling sideways');

  t.same(browser.consoleErrors, [], 'no console errors');
  t.same(browser.outsideRequests, [], 'no request leaves the machine');
});

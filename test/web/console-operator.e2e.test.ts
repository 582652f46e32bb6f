// The operator's harder paths in real headless Chromium against the whole service on the local
// target: signing in by keyboard with visible focus, an API error next to its field, a tenant that
// really fails (a file where the store keeps its bucket) and is retried from the console, delete
// with confirmation, and both views at 360 px. No console errors, no request leaves the machine.
import t from 'tap';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { startTestService } from '../helpers/service.js';
import { launchConsoleBrowser, openConsole, pageWidth, screenshot, signIn } from './console-browser.js';

const ENGINE_TIMEOUT_MS = 240_000;
const NARROW = { width: 360, height: 800 };

/** The focus ring of the focused element, as the browser draws it (page code passed as text: no DOM types here). */
const focusRing = (page: Page) =>
  page.evaluate<{ id: string; outline: string; shadow: string }>(
    '(() => { const style = getComputedStyle(document.activeElement); return { id: document.activeElement.id, outline: style.outlineStyle, shadow: style.boxShadow }; })()',
  );
const visible = (ring: { outline: string; shadow: string }) => ring.outline !== 'none' || ring.shadow !== 'none';
/** A progress view's status once its operation's `done` has arrived. */
const finishedStatus = (view: Locator) => view.getByRole('status').filter({ hasText: /^Finished:/ });

t.test('the operator console: keyboard sign-in, errors by their cause, retry, delete, 360 px', async (t) => {
  const browser = await launchConsoleBrowser(t);
  const service = await startTestService(t);
  const page = await browser.newPage();
  await openConsole(page, service.url);
  const tenantId = 'e2e-retry';
  const row = page.locator(`tr[data-tenant="${tenantId}"]`);
  const progress = page.locator(`section[data-tenant="${tenantId}"]`);
  let apiKey = '';

  t.test('the sign-in form is completed by keyboard alone, with the focus always visible', async (t) => {
    const field = page.getByLabel('Token or API key');
    t.equal((await focusRing(page)).id, await field.getAttribute('id'), 'the token field has the focus on arrival');
    t.ok(visible(await focusRing(page)), 'and shows it');
    await page.keyboard.type(service.adminToken);
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate<string | undefined>('document.activeElement.textContent'), 'Sign in', 'Tab moves to the Sign in button');
    const ring = await focusRing(page);
    t.ok(visible(ring), `which shows its focus (outline ${ring.outline}, shadow ${ring.shadow})`);
    await screenshot(page, '10-sign-in-keyboard-focus');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tenants', exact: true }).waitFor();

    // Then through the operator page by Tab from its main content, where signing in put the focus:
    // every control it reaches shows where the focus is.
    t.equal(await page.evaluate<string>('document.activeElement.id'), 'main', 'signing in moves the focus to the page');
    const reached: string[] = [];
    while (!reached.includes('Create tenant') && reached.length < 20) {
      await page.keyboard.press('Tab');
      const ring = await focusRing(page);
      const name = await page.evaluate<string>('document.activeElement.labels?.[0]?.textContent ?? document.activeElement.textContent');
      reached.push(name);
      t.ok(visible(ring), `${name} shows its focus`);
    }
    t.same(reached, ['Refresh', 'Tenant id', 'Widths', 'Format', 'Create tenant'], 'Tab reaches every control in order');
  });

  t.test('an invalid tenant id: the API detail is shown next to the Tenant id field, nothing is created', async (t) => {
    const { detail } = (await (await service.api('/tenants', { method: 'POST', json: { id: 'Bad_Id' } })).json()) as { detail: string };
    const errorsBefore = browser.consoleErrors.length;
    const idField = page.getByLabel('Tenant id');
    await idField.fill('Bad_Id');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const error = page.locator('form .field', { has: idField }).getByRole('alert');
    await error.waitFor();
    t.equal(await error.textContent(), detail, 'the problem detail, as the API says it');
    t.match(detail, /\S/);
    const described = ((await idField.getAttribute('aria-describedby')) ?? '').split(' ');
    t.ok(described.includes((await error.getAttribute('id')) ?? '-'), 'the field is described by the error');
    t.equal(await idField.getAttribute('aria-invalid'), 'true', 'and marked invalid');
    t.equal(await page.evaluate<string>('document.activeElement.getAttribute("name")'), 'id', 'the focus returns to the field');
    await screenshot(page, '11-operator-create-error');
    // Chromium itself logs every 4xx response; that line is the only one this step may add.
    const logged = browser.consoleErrors.splice(errorsBefore);
    t.same(logged, ['Failed to load resource: the server responded with a status of 400 (Bad Request)'], "only Chromium's log of the 400 this step provoked");
    t.same((await (await service.api('/tenants')).json()) as unknown, { tenants: [] }, 'no tenant was created');
  });

  // A plain file where the store keeps the bucket's directory: the store refuses to create it.
  const blocker = join(service.dataDir, 'buckets', bucketName(tenantId));

  t.test('a tenant that really fails shows failed, and Retry from the console makes it ready', async (t) => {
    await writeFile(blocker, 'in the way');
    const idField = page.getByLabel('Tenant id');
    await idField.fill(tenantId);
    await page.getByRole('button', { name: 'Create tenant' }).click();
    apiKey = await page.getByRole('textbox', { name: 'API key' }).inputValue();
    t.equal(await idField.getAttribute('aria-invalid'), null, 'the earlier error is gone');
    await row.locator('.badge', { hasText: 'failed' }).waitFor({ timeout: ENGINE_TIMEOUT_MS });
    // The table and the progress view update from different answers: wait for the view's end, never assume it.
    await finishedStatus(progress).waitFor();
    t.match(await progress.getByRole('status').textContent(), new RegExp(`failed.*${bucketName(tenantId)}`), 'the progress view says why it failed');
    await screenshot(page, '12-operator-failed');

    // Marks the failed operation's view, so the retry's view can be told from it (both say "Provisioning").
    // A function, not text: Playwright evaluates text as an expression and never calls it.
    await progress.evaluate((section: { setAttribute(name: string, value: string): void }) => section.setAttribute('data-seen', ''));
    t.equal(await page.locator('section[data-seen]').count(), 1, 'the failed view is marked');
    await rm(blocker);
    await row.getByRole('button', { name: `Retry ${tenantId}` }).click();
    const retrying = page.locator(`section[data-tenant="${tenantId}"]:not([data-seen])`);
    await retrying.getByRole('heading', { name: `Provisioning ${tenantId}` }).waitFor();
    t.equal(await page.locator('section[data-seen]').count(), 0, 'a new progress view replaces the failed one');
    await row.locator('.badge', { hasText: 'ready' }).waitFor({ timeout: ENGINE_TIMEOUT_MS });
    await finishedStatus(retrying).waitFor();
    t.match(await retrying.getByRole('status').textContent(), /succeeded/, 'the progress view follows the retry to success');
    t.ok((await retrying.getByRole('log').locator('li').count()) > 0, 'with the engine events');
    const bar = retrying.locator('progress');
    t.equal(await bar.getAttribute('value'), await bar.getAttribute('max'), 'and a full progress bar');
    t.equal(await row.getByRole('button', { name: `Retry ${tenantId}` }).count(), 0, 'a ready tenant offers no retry');
    await screenshot(page, '13-operator-retried');
    t.match((await (await service.api(`/tenants/${tenantId}`)).json()) as unknown, { status: 'ready', outputs: { bucket: bucketName(tenantId) } });
  });

  t.test('at 360 px the operator and tenant views do not scroll sideways', async (t) => {
    await page.setViewportSize(NARROW);
    t.ok((await pageWidth(page)) <= NARROW.width, 'the operator view (table, key, progress, form) fits');
    await screenshot(page, '14-operator-360px');
    const tenantPage = await browser.newPage(NARROW);
    await openConsole(tenantPage, service.url);
    t.ok((await pageWidth(tenantPage)) <= NARROW.width, 'the sign-in view fits');
    await signIn(tenantPage, apiKey);
    await tenantPage.getByRole('heading', { name: `Tenant ${tenantId} ready` }).waitFor();
    t.ok((await pageWidth(tenantPage)) <= NARROW.width, 'the tenant view fits');
    await screenshot(tenantPage, '15-tenant-empty-360px');
    await tenantPage.close();
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  t.test('delete asks first: Cancel keeps the tenant, confirming deletes it', async (t) => {
    const remove = row.getByRole('button', { name: `Delete ${tenantId}` });
    const dialog = page.getByRole('dialog', { name: `Delete ${tenantId}?` });
    await remove.click();
    await dialog.waitFor();
    t.equal(await page.evaluate<string | undefined>('document.activeElement.textContent'), 'Cancel', 'Cancel has the focus');
    await screenshot(page, '16-operator-confirm-delete');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    t.equal((await service.api(`/tenants/${tenantId}`)).status, 200, 'cancelled: the tenant is still there');
    t.equal(await row.count(), 1, 'and still listed');

    await remove.click();
    await dialog.getByRole('button', { name: `Delete ${tenantId}` }).click();
    await progress.getByRole('heading', { name: `Deleting ${tenantId}` }).waitFor();
    await row.waitFor({ state: 'detached', timeout: ENGINE_TIMEOUT_MS });
    await finishedStatus(progress).waitFor();
    t.match(await progress.getByRole('status').textContent(), /succeeded/, 'the progress view follows the delete to the end');
    t.equal((await service.api(`/tenants/${tenantId}`)).status, 404, 'confirmed: GET /tenants/:id answers 404');
    await page.getByText('No tenants yet').waitFor();
    await screenshot(page, '17-operator-deleted');
  });

  t.test('no console errors, no request leaves the machine', async (t) => {
    t.same(browser.consoleErrors, [], 'no console errors');
    t.same(browser.outsideRequests, [], 'no request leaves the machine');
  });
});

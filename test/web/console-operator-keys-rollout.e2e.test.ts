// The operator's keys and image rollouts in real headless Chromium against the whole service on the
// local target: a new key shown once, a key rotated and one revoked (both then refused at sign-in),
// a rollout refused (400, 409: one already runs, held by freezing the object store, never by
// timing) with nothing written, and a rollout followed to its end. No console errors but
// Chromium's own lines for the 4xx each step provokes.
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { expectProblem, json, type Json } from '../helpers/http.js';
import { processFreezer } from '../helpers/processes.js';
import { startTestService } from '../helpers/service.js';
import { eventually } from '../helpers/stacks.js';
import { dataOf, isFocused, launchConsoleBrowser, openConsole, pageWidth, screenshot, signIn, type ConsoleBrowser } from './console-browser.js';

const ENGINE_TIMEOUT_MS = 240_000;
const NARROW = { width: 360, height: 800 };
const TENANTS = ['roll-a', 'roll-b'];
const [KEYED] = TENANTS as [string, string];

const chromiumLine = (status: number, text: string) => `Failed to load resource: the server responded with a status of ${status} (${text})`;
/** Signing in with a tenant key the API refuses: the tenant read, then the operator's list, each 401. */
const REFUSED_SIGN_IN = [chromiumLine(401, 'Unauthorized'), chromiumLine(401, 'Unauthorized')];

/** Runs `step` and checks that the console errors it added are exactly these Chromium lines. */
async function onlyLogged(t: Test, browser: ConsoleBrowser, expected: string[], step: () => Promise<void>): Promise<void> {
  const before = browser.consoleErrors.length;
  await step();
  t.same(browser.consoleErrors.splice(before), expected, "only Chromium's log of the refusals this step provoked");
}

t.test('the operator console: keys made, rotated and revoked; image rollouts refused and followed', async (t) => {
  const browser = await launchConsoleBrowser(t);
  const service = await startTestService(t);
  const { api } = service;
  const { freeze, thaw } = processFreezer(t, service.objectStorePid());
  const keyIds = async () => ((await json(await api(`/tenants/${KEYED}/keys`))).items as Json[]).map((key) => key.id as string);
  const histories = async () => Object.fromEntries(await Promise.all(TENANTS.map(async (id) => [id, ((await json(await api(`/tenants/${id}/operations?limit=100`))).items as Json[]).map((operation) => operation.id)])));

  const firstKeys: Record<string, string> = {};
  for (const id of TENANTS) firstKeys[id] = (await json(await api('/tenants', { method: 'POST', json: { id } }))).apiKey;
  for (const id of TENANTS) await eventually(async () => ((await json(await api(`/tenants/${id}`))).status === 'ready' ? true : undefined), `${id} ready`);

  const page = await browser.newPage();
  await openConsole(page, service.url);
  await signIn(page, service.adminToken);
  const panel = page.locator(`section[data-manage="${KEYED}"]`);
  const keys = panel.getByRole('region', { name: 'API keys' });
  const keyRows = keys.locator('tbody tr');
  const shownKey = keys.getByRole('textbox', { name: 'API key' });
  const rowOf = (keyId: string) => keys.locator(`tr[data-key="${keyId}"]`);

  /** Signs in on a page of its own; answers the sign-in alert's text, or the tenant heading's. */
  async function signInElsewhere(apiKey: string): Promise<{ page: Page; refusal?: string }> {
    const other = await browser.newPage();
    await openConsole(other, service.url);
    await signIn(other, apiKey);
    const refusal = other.getByRole('alert').filter({ hasText: /\S/ });
    const tenantHeading = other.getByRole('heading', { name: `Tenant ${KEYED} ready` });
    await refusal.or(tenantHeading).waitFor();
    return { page: other, refusal: (await refusal.count()) > 0 ? ((await refusal.textContent()) ?? '') : undefined };
  }

  let k2 = '';
  let k3 = '';
  t.test('the keys are listed by prefix; New key shows the key once, and it works', async (t) => {
    await page.locator(`tr[data-tenant="${KEYED}"]`).getByRole('button', { name: `Manage ${KEYED}` }).click();
    await keyRows.first().waitFor();
    const [first] = (await json(await api(`/tenants/${KEYED}/keys`))).items as Json[];
    t.equal(await keyRows.count(), 1, 'the key made with the tenant');
    t.ok(firstKeys[KEYED]!.startsWith(first!.prefix), 'its prefix is the start of the key');
    t.equal(await rowOf(first!.id).locator('th').textContent(), `${first!.prefix}…`, 'shown by its prefix');
    t.equal(await rowOf(first!.id).locator('td[data-label="Last used"]').textContent(), 'never', 'never used yet');
    t.notMatch(await keys.textContent(), firstKeys[KEYED]!, 'the key itself is never shown again');

    await keys.getByRole('button', { name: 'New key' }).click();
    k2 = await shownKey.inputValue();
    t.match(k2, new RegExp(`^tf_${KEYED}_`), 'the new key is shown');
    await keyRows.nth(1).waitFor();
    const listed = (await json(await api(`/tenants/${KEYED}/keys`))).items as Json[];
    t.same(await dataOf(keyRows, 'key'), listed.map((key) => key.id), 'two keys, newest first, as the API lists them');
    t.ok(k2.startsWith(listed[0]!.prefix), 'the newest is the one shown');
    t.equal((await api(`/tenants/${KEYED}`, { token: k2 })).status, 200, 'and it works');
    await screenshot(page, '30-keys-new');
    await keys.getByRole('button', { name: 'I have saved it' }).click();
    t.equal(await shownKey.count(), 0, 'dismissed: the key is gone from the page');
  });

  t.test('Rotate makes a new key and revokes the old one, which the console then refuses', async (t) => {
    const [newest, oldest] = (await json(await api(`/tenants/${KEYED}/keys`))).items as Json[];
    await rowOf(oldest!.id).getByRole('button', { name: `Rotate ${oldest!.prefix}` }).click();
    const dialog = page.getByRole('dialog', { name: `Rotate key ${oldest!.prefix}…?` });
    await dialog.waitFor();
    t.equal(await page.evaluate<string | undefined>('document.activeElement.textContent'), 'Cancel', 'Cancel has the focus');
    await screenshot(page, '31-keys-confirm-rotate');
    await dialog.getByRole('button', { name: 'Rotate key' }).click();
    k3 = await shownKey.inputValue();
    await rowOf(oldest!.id).waitFor({ state: 'detached' });
    const listed = (await json(await api(`/tenants/${KEYED}/keys`))).items as Json[];
    t.equal(listed.length, 2, 'still two keys');
    t.ok(k3.startsWith(listed[0]!.prefix) && listed[1]!.id === newest!.id, 'the new one and the one before it');
    t.same(await dataOf(keyRows, 'key'), listed.map((key) => key.id), 'as the table shows');
    await expectProblem(t, await api(`/tenants/${KEYED}`, { token: firstKeys[KEYED]! }), 401, 'the rotated key');

    const { detail } = await expectProblem(t, await api('/tenants', { token: firstKeys[KEYED]! }), 401, 'the rotated key as an operator');
    await onlyLogged(t, browser, REFUSED_SIGN_IN, async () => {
      const refused = await signInElsewhere(firstKeys[KEYED]!);
      t.equal(refused.refusal, `Not signed in: ${detail}`, 'the console refuses the rotated key at sign-in');
      await screenshot(refused.page, '32-keys-rotated-refused');
      await refused.page.close();
    });
    const accepted = await signInElsewhere(k3);
    t.equal(accepted.refusal, undefined, 'and signs the new key in');
    await accepted.page.close();
  });

  t.test('Revoke asks first; the revoked key is refused at sign-in', async (t) => {
    const target = (await json(await api(`/tenants/${KEYED}/keys`))).items.find((key: Json) => k2.startsWith(key.prefix)) as Json;
    const revoke = rowOf(target.id).getByRole('button', { name: `Revoke ${target.prefix}` });
    const dialog = page.getByRole('dialog', { name: `Revoke key ${target.prefix}…?` });
    await revoke.click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    t.equal((await api(`/tenants/${KEYED}`, { token: k2 })).status, 200, 'cancelled: the key still works');
    await revoke.click();
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await rowOf(target.id).waitFor({ state: 'detached' });
    t.notOk((await keyIds()).includes(target.id), 'the API lists it no more');
    await onlyLogged(t, browser, REFUSED_SIGN_IN, async () => {
      const refused = await signInElsewhere(k2);
      t.match(refused.refusal, /^Not signed in: \S/, 'the console refuses the revoked key');
      await refused.page.close();
    });
  });

  t.test('revoking a key revoked meanwhile (404): the detail is shown, the list follows the API', async (t) => {
    const [last] = (await json(await api(`/tenants/${KEYED}/keys`))).items as Json[];
    await rowOf(last!.id).getByRole('button', { name: `Revoke ${last!.prefix}` }).click();
    const dialog = page.getByRole('dialog', { name: `Revoke key ${last!.prefix}…?` });
    await dialog.waitFor();
    // Another operator revokes it while this one reads the dialog.
    t.equal((await api(`/tenants/${KEYED}/keys/${last!.id}`, { method: 'DELETE' })).status, 204);
    await onlyLogged(t, browser, [chromiumLine(404, 'Not Found')], async () => {
      await dialog.getByRole('button', { name: 'Revoke key' }).click();
      const alert = keys.getByRole('alert');
      await alert.waitFor();
      const { detail } = await expectProblem(t, await api(`/tenants/${KEYED}/keys/${last!.id}`, { method: 'DELETE' }), 404, 'the same revoke');
      t.equal(await alert.textContent(), detail, 'the detail, as the API says it');
    });
    await keys.getByText('No keys').waitFor();
    t.same(await keyIds(), [], 'no key left, as the table says');
    await screenshot(page, '33-keys-none');
    await panel.getByRole('button', { name: 'Close' }).click();
  });

  const rollouts = page.getByRole('region', { name: 'Image rollout' });
  const concurrency = rollouts.getByLabel('Concurrency');
  const rollOut = rollouts.getByRole('button', { name: 'Roll out image' });

  t.test('a concurrency the API refuses (400): its detail next to the field, no operation queued', async (t) => {
    const before = await histories();
    await onlyLogged(t, browser, [chromiumLine(400, 'Bad Request')], async () => {
      await concurrency.fill('17');
      await rollOut.click();
      const alert = rollouts.locator('.field', { has: page.getByLabel('Concurrency') }).getByRole('alert');
      await alert.waitFor();
      const { detail } = await expectProblem(t, await api('/rollouts', { method: 'POST', json: { concurrency: 17 } }), 400, 'concurrency 17');
      t.equal(await alert.textContent(), detail, 'the problem detail, as the API says it');
      t.equal(await concurrency.getAttribute('aria-invalid'), 'true');
      t.ok(await isFocused(concurrency), 'the focus is on the field');
    });
    t.same(await histories(), before, 'no tenant got an operation');
  });

  t.test('a rollout while one runs (409): the detail is shown, nothing started', async (t) => {
    // Its first up stays running on its bucket call until the store thaws.
    freeze();
    const other = await json(await api('/rollouts', { method: 'POST', json: { concurrency: 1 } }));
    const held = await eventually(async () => {
      const now = await json(await api(`/rollouts/${other.id}`));
      return now.counts.running === 1 ? now : undefined;
    }, 'the other rollout running');
    const before = await histories();
    await onlyLogged(t, browser, [chromiumLine(409, 'Conflict')], async () => {
      await concurrency.fill('');
      await rollOut.click();
      const alert = rollouts.locator('form > [role="alert"]');
      await alert.waitFor();
      const { detail } = await expectProblem(t, await api('/rollouts', { method: 'POST' }), 409, 'a second rollout');
      t.equal(await alert.textContent(), detail, 'the detail, as the API says it');
      t.match(detail, other.id, 'naming the rollout that runs');
    });
    t.same(await histories(), before, 'no tenant got another operation');
    t.same(await json(await api(`/rollouts/${other.id}`)), held, 'and the running rollout is as it was');
    t.equal(await rollouts.locator('.rollout').count(), 0, 'no progress view: nothing started here');
    await screenshot(page, '34-rollout-conflict');
    thaw();
    await eventually(async () => ((await json(await api(`/rollouts/${other.id}`))).status === 'finished' ? true : undefined), 'the other rollout finished');
  });

  t.test('Roll out image: the progress view follows the rollout to its end', async (t) => {
    const before = await histories();
    await concurrency.fill('2');
    await rollOut.click();
    const view = rollouts.locator('.rollout');
    await view.waitFor();
    t.notOk(await rollouts.locator('.field').getByRole('alert').isVisible(), 'the earlier errors are gone');
    t.ok(await rollOut.isDisabled(), 'no second rollout from here while this one runs');
    await view.and(rollouts.locator('[data-status="finished"]')).waitFor({ timeout: ENGINE_TIMEOUT_MS });
    const id = (await view.getAttribute('data-rollout'))!;
    const rollout = await json(await api(`/rollouts/${id}`));
    t.match(rollout, { status: 'finished', concurrency: 2, total: TENANTS.length, counts: { succeeded: TENANTS.length } });
    t.match(await view.getByRole('status').textContent(), new RegExp(`^Finished .*: ${TENANTS.length} of ${TENANTS.length} tenants done\\.$`));
    const counts = view.locator('.count');
    t.same(await dataOf(counts, 'status'), ['succeeded'], 'the counts by status, as the API counts them');
    t.same((await counts.allTextContents()).map((text) => text.trim()), [`succeeded ${TENANTS.length}`]);
    const members = view.getByRole('list', { name: 'Tenants of the rollout' }).locator('li');
    t.same(await dataOf(members, 'tenant'), rollout.tenants.map((member: Json) => member.id), 'each tenant');
    t.same(await dataOf(members, 'status'), rollout.tenants.map((member: Json) => member.status), 'with its status');
    const bar = view.locator('progress');
    t.equal(await bar.getAttribute('value'), String(TENANTS.length), 'a full progress bar');
    const after = await histories();
    for (const member of rollout.tenants as Json[]) {
      t.same(after[member.id], [member.operationId, ...before[member.id]], `${member.id}: one new operation, the rollout's up`);
    }
    t.ok(await rollOut.isEnabled(), 'finished: another may start');
    await screenshot(page, '35-rollout-finished');
  });

  t.test('at 360 px the rollout view does not scroll sideways', async (t) => {
    await page.setViewportSize(NARROW);
    t.ok((await pageWidth(page)) <= NARROW.width, `it fits (${await pageWidth(page)} px)`);
    await screenshot(page, '36-rollout-360px');
  });

  t.test('no console errors, no request leaves the machine', async (t) => {
    t.same(browser.consoleErrors, [], 'no console errors');
    t.same(browser.outsideRequests, [], 'no request leaves the machine');
  });
});

// The operator manages a tenant in real headless Chromium against the whole service on the local
// target: its operation history (load more), its settings edited with a preview before applying,
// a queued and a running operation cancelled, and each form's refusal (400, 409) shown next to its
// cause with nothing written. Operations are held running by freezing the object store (SIGSTOP),
// never by timing. No console errors but Chromium's own lines for the 4xx each step provokes.
import t, { type Test } from 'tap';
import { listFunctions } from '../../src/domain/local-registrations.js';
import { thumbnailSettingsSchema } from '../../src/domain/thumbnail-settings.js';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { planSummary } from '../../web/src/operator/plan-summary.js';
import { expectProblem, json, type Json } from '../helpers/http.js';
import { processFreezer } from '../helpers/processes.js';
import { startTestService } from '../helpers/service.js';
import { eventually } from '../helpers/stacks.js';
import { readEventStream } from '../server/sse-client.js';
import { dataOf, isFocused, launchConsoleBrowser, openConsole, pageWidth, screenshot, signIn, type ConsoleBrowser } from './console-browser.js';

const ENGINE_TIMEOUT_MS = 240_000;
const NARROW = { width: 360, height: 800 };
const TENANT = 'e2e-edit';

/** Chromium's own console line for a response with this status: the only console error a refused request may add. */
const chromiumLine = (status: number, text: string) => `Failed to load resource: the server responded with a status of ${status} (${text})`;

/** Runs `step` and checks that the console errors it added are exactly these Chromium lines. */
async function onlyLogged(t: Test, browser: ConsoleBrowser, expected: string[], step: () => Promise<void>): Promise<void> {
  const before = browser.consoleErrors.length;
  await step();
  t.same(browser.consoleErrors.splice(before), expected, "only Chromium's log of the refusals this step provoked");
}

t.test('the operator console manages a tenant: history, settings with a preview, cancel, refusals', async (t) => {
  const browser = await launchConsoleBrowser(t);
  const service = await startTestService(t);
  const { api } = service;
  const { freeze, thaw } = processFreezer(t, service.objectStorePid());
  const tenant = async () => json(await api(`/tenants/${TENANT}`));
  const history = async () => (await json(await api(`/tenants/${TENANT}/operations?limit=100`))).items as Json[];
  const operationIds = async () => (await history()).map((operation) => operation.id as string);
  /** What a refused request must leave as it was. */
  const snapshot = async () => {
    const { settings, settingsVersion, appliedSettingsVersion, status } = await tenant();
    return { settings, settingsVersion, appliedSettingsVersion, status, operations: await operationIds() };
  };

  await api('/tenants', { method: 'POST', json: { id: TENANT, thumbnail: { widths: [160, 320] } } });
  await eventually(async () => ((await tenant()).status === 'ready' ? true : undefined), `${TENANT} ready`);

  const page = await browser.newPage();
  await openConsole(page, service.url);
  await signIn(page, service.adminToken);
  const row = page.locator(`tr[data-tenant="${TENANT}"]`);
  const panel = page.locator(`section[data-manage="${TENANT}"]`);
  const entries = panel.locator('li.history-entry');
  const entry = (operationId: string) => panel.locator(`li[data-operation="${operationId}"]`);
  /** The entry once the history shows it with this status. */
  const entryWhen = (operationId: string, status: string) => panel.locator(`li[data-operation="${operationId}"][data-status="${status}"]`);
  const progress = page.locator(`section[data-tenant="${TENANT}"]`);
  const finished = progress.getByRole('status').filter({ hasText: /^Finished:/ });
  const preview = panel.getByRole('button', { name: 'Preview changes' });
  const apply = panel.getByRole('button', { name: 'Apply settings' });
  const plan = panel.locator('.plan');
  /** The settings form's fields, scoped to the panel (the create form has a Widths field too). */
  const field = (label: string) => panel.getByLabel(label, { exact: true });
  /** The alert in a field's box (a `has` locator is relative to the box, so it starts from the page). */
  const fieldAlert = (label: string) => panel.locator('.field', { has: page.getByLabel(label, { exact: true }) }).getByRole('alert');

  t.test('Manage shows the settings as the tenant has them and its history', async (t) => {
    await row.getByRole('button', { name: `Manage ${TENANT}` }).click();
    await panel.getByRole('heading', { name: `Manage ${TENANT}` }).waitFor();
    await entries.first().waitFor();
    const [created] = await history();
    t.equal(await entries.count(), 1, 'one operation so far');
    t.equal(await entries.first().getAttribute('data-operation'), created!.id, 'the create up');
    t.equal(await entries.first().getAttribute('data-status'), 'succeeded');
    t.match(await entries.first().textContent(), /succeeded\s*up\s*settings version 1/);
    t.equal(await entries.first().locator('time').first().getAttribute('datetime'), created!.createdAt, 'with its times as the API has them');
    t.equal(await entries.first().getByRole('button', { name: /^Cancel/ }).count(), 0, 'a finished operation cannot be cancelled');
    t.equal(await field('Widths').inputValue(), '160, 320');
    t.equal(await field('Format').inputValue(), 'jpeg');
    t.equal(await field('Frame').inputValue(), 'auto');
    t.ok(await field('Position').isDisabled(), 'no position for the automatic frame');
    t.notOk(await field('Storyboard').isChecked());
    t.notOk(await field('Animated preview').isChecked());
    t.ok(await apply.isDisabled(), 'nothing to apply before a preview');
    t.match(await panel.textContent(), /Settings version 1, applied\./);
    await screenshot(page, '20-operator-manage');
  });

  t.test('settings the API refuses (400): its detail next to the field, nothing written', async (t) => {
    const before = await snapshot();
    const cases = [
      { fill: async () => field('Widths').fill('8, 320'), label: 'Widths', body: { widths: [8, 320], format: 'jpeg', at: 'auto' } },
      {
        fill: async () => {
          await field('Widths').fill('160, 320');
          await field('Frame').selectOption('percent');
          await field('Position').fill('150');
        },
        label: 'Position',
        body: { widths: [160, 320], format: 'jpeg', at: '150%' },
      },
    ];
    await onlyLogged(t, browser, [chromiumLine(400, 'Bad Request'), chromiumLine(400, 'Bad Request')], async () => {
      for (const { fill, label, body } of cases) {
        const control = field(label);
        await fill();
        await preview.click();
        const alert = fieldAlert(label);
        await alert.waitFor();
        const { detail } = await expectProblem(t, await api(`/tenants/${TENANT}/preview`, { method: 'POST', json: { thumbnail: body } }), 400, JSON.stringify(body));
        t.equal(await alert.textContent(), detail, 'the problem detail, as the API says it');
        t.ok(((await control.getAttribute('aria-describedby')) ?? '').split(' ').includes((await alert.getAttribute('id')) ?? '-'), 'the field is described by it');
        t.equal(await control.getAttribute('aria-invalid'), 'true', 'and marked invalid');
        t.ok(await isFocused(control), 'the focus is on the field');
        t.ok(await apply.isDisabled(), 'nothing to apply');
        if (body.at === 'auto') await screenshot(page, '21-settings-refused');
      }
    });
    t.same(await snapshot(), before, 'settings, versions and operations unchanged');
  });

  t.test('edit, preview, apply: the plan is the engine\'s, and the tenant becomes ready with the new settings', async (t) => {
    await field('Widths').fill('200, 480');
    await field('Format').selectOption('webp');
    await field('Position').fill('25');
    await field('Storyboard').check();
    await preview.click();
    await plan.waitFor();
    t.notOk(await fieldAlert('Position').isVisible(), 'the earlier error is gone');
    const body = { widths: [200, 480], format: 'webp', at: '25%', storyboard: {} };
    const expected = await json(await api(`/tenants/${TENANT}/preview`, { method: 'POST', json: { thumbnail: body } }));
    t.equal(await plan.locator('.plan-summary').textContent(), `Plan: ${planSummary(expected.changes)}.`, 'the counts the API plans');
    t.match(expected.changes, { update: 1, create: 0, delete: 0 }, 'an update in place');
    const steps = plan.getByRole('list', { name: 'Planned steps' }).locator('li');
    t.same(await dataOf(steps, 'op'), expected.steps.map((step: Json) => step.op), 'and its steps');
    t.same(await steps.locator('.mono').allTextContents(), expected.steps.map((step: Json) => step.name), 'on its resources');
    t.ok(await apply.isEnabled(), 'previewed: it can be applied');
    await screenshot(page, '22-settings-plan');

    // A change after the preview needs a preview of its own.
    await field('Animated preview').check();
    t.ok(await apply.isDisabled(), 'edited after the preview: nothing to apply');
    t.equal(await plan.count(), 0, 'and the old plan is gone');
    await field('Animated preview').uncheck();
    t.same(await snapshot().then((now) => now.settingsVersion), 1, 'previews wrote nothing');

    await preview.click();
    await plan.waitFor();
    await apply.click();
    await progress.getByRole('heading', { name: `Provisioning ${TENANT}` }).waitFor();
    await finished.waitFor({ timeout: ENGINE_TIMEOUT_MS });
    t.match(await finished.textContent(), /succeeded/, 'the progress view follows the up to success');
    const now = await tenant();
    t.same(now.settings, thumbnailSettingsSchema.parse(body), 'GET /tenants/:id has the new settings');
    t.match(now, { status: 'ready', settingsVersion: 2, appliedSettingsVersion: 2 });
    const registered = (await listFunctions(service.dataDir)).find((fn) => fn.bucket === bucketName(TENANT));
    t.match(registered?.settings, { widths: [200, 480], format: 'webp', at: '25%' }, 'and so does the function');
    const [up] = await history();
    await panel.getByText('Settings version 2, applied.').waitFor();
    await entryWhen(up!.id, 'succeeded').waitFor();
    t.equal(await entries.first().getAttribute('data-operation'), up!.id, 'the history shows the new up first');
    t.match(await entries.first().textContent(), /settings version 2/);
    await screenshot(page, '23-settings-applied');
  });

  let running = '';
  let queued = '';
  t.test('a queued operation is cancelled from the history (the first one held running by the frozen store)', async (t) => {
    await field('Widths').fill('240');
    await preview.click();
    await plan.waitFor();
    freeze();
    await apply.click();
    running = (await tenant()).lastOperation.id;
    await entryWhen(running, 'running').waitFor();

    await field('Widths').fill('320');
    await preview.click();
    await plan.waitFor();
    await apply.click();
    queued = (await tenant()).lastOperation.id;
    t.not(queued, running, 'a second up, queued behind the running one');
    await entryWhen(queued, 'queued').waitFor();
    t.same((await operationIds()).slice(0, 2), [queued, running]);

    await entry(queued).getByRole('button', { name: 'Cancel the queued up' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this queued up?' });
    await dialog.waitFor();
    t.equal(await page.evaluate<string | undefined>('document.activeElement.textContent'), 'Keep it', 'the way out has the focus');
    await screenshot(page, '24-history-confirm-cancel');
    await dialog.getByRole('button', { name: 'Cancel the up' }).click();
    await entryWhen(queued, 'cancelled').waitFor();
    t.equal(await entry(queued).getByRole('button', { name: /^Cancel/ }).count(), 0, 'no cancel on a cancelled operation');
    const operations = await history();
    t.match(operations.find((operation) => operation.id === queued), { status: 'cancelled', attempt: 0 }, 'the API says cancelled');
    t.notOk(operations.find((operation) => operation.id === queued)?.startedAt, 'it never started');
    t.match(operations.find((operation) => operation.id === running), { status: 'running' }, 'the running one runs on');
    await screenshot(page, '25-history-cancelled');
  });

  t.test('cancelling an operation that ended meanwhile (409): the detail is shown, nothing changes', async (t) => {
    const patched = await json(await api(`/tenants/${TENANT}`, { method: 'PATCH', json: { thumbnail: { widths: [400] } } }));
    const late = patched.operation.id as string;
    await entryWhen(late, 'queued').waitFor();
    await entry(late).getByRole('button', { name: 'Cancel the queued up' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this queued up?' });
    await dialog.waitFor();
    // Another operator cancels it while this one reads the dialog.
    t.equal((await api(`/tenants/${TENANT}/operations/${late}/cancel`, { method: 'POST' })).status, 202);
    const before = await snapshot();
    await onlyLogged(t, browser, [chromiumLine(409, 'Conflict')], async () => {
      await dialog.getByRole('button', { name: 'Cancel the up' }).click();
      const alert = panel.locator('.history-holder').getByRole('alert');
      await alert.waitFor();
      const { detail } = await expectProblem(t, await api(`/tenants/${TENANT}/operations/${late}/cancel`, { method: 'POST' }), 409, 'the same cancel');
      t.equal(await alert.textContent(), `Could not cancel the up: ${detail}`, 'the detail, as the API says it');
    });
    await entryWhen(late, 'cancelled').waitFor();
    t.same(await snapshot(), before, 'nothing written');
  });

  t.test('a running operation ends cancelled once its engine run is ended', async (t) => {
    await entry(running).getByRole('button', { name: 'Cancel the running up' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this running up?' });
    await dialog.getByRole('button', { name: 'Cancel the up' }).click();
    await entry(running).getByText(/^Cancel requested at/).waitFor();
    t.equal(await entry(running).getByRole('button', { name: /^Cancel/ }).count(), 0, 'asked once: no second cancel offered');
    t.equal(await entry(running).getAttribute('data-status'), 'running', 'it runs until its replica has ended it');
    // The engine waits on its bucket call in the frozen store: the replica's cancel event shows it has been told to stop.
    await readEventStream(await api(`/tenants/${TENANT}/events`), (message) => message.event === 'engine' && Boolean((message.data as Json).event?.cancelEvent));
    thaw();
    await entryWhen(running, 'cancelled').waitFor({ timeout: ENGINE_TIMEOUT_MS });
    const ended = (await history()).find((operation) => operation.id === running)!;
    t.match(ended, { status: 'cancelled', error: /^cancelled while running; the stack was refreshed/ });
    t.equal(await entry(running).locator('.entry-error').textContent(), ended.error, 'the history says why');
    t.match(await tenant(), { status: 'interrupted' }, 'an update cancelled while running leaves the tenant interrupted');
    await screenshot(page, '26-history-running-cancelled');
  });

  t.test('retry from the table; the history pages with Load more, newest first', async (t) => {
    await row.locator('.badge', { hasText: 'interrupted' }).waitFor();
    await row.getByRole('button', { name: `Retry ${TENANT}` }).click();
    await row.locator('.badge', { hasText: 'ready' }).waitFor({ timeout: ENGINE_TIMEOUT_MS });
    const all = await operationIds();
    t.equal(all.length, 6, 'create, apply, the cancelled three and the retry');
    await entryWhen(all[0]!, 'succeeded').waitFor();
    t.same(await dataOf(entries, 'operation'), all.slice(0, 5), 'the first page: five, newest first');
    const more = panel.getByRole('button', { name: 'Load more' });
    await more.click();
    await entries.nth(5).waitFor();
    t.same(await dataOf(entries, 'operation'), all, 'then the rest');
    t.notOk(await more.isVisible(), 'no more to load');
    await screenshot(page, '27-history-load-more');
  });

  t.test('at 360 px the managed tenant does not scroll sideways', async (t) => {
    await page.setViewportSize(NARROW);
    t.ok((await pageWidth(page)) <= NARROW.width, `the panel fits (${await pageWidth(page)} px)`);
    await screenshot(page, '28-operator-manage-360px');
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  t.test('applying to a tenant being deleted (409): the detail is shown by the form, nothing written', async (t) => {
    await field('Widths').fill('500');
    await preview.click();
    await plan.waitFor();
    freeze();
    t.equal((await api(`/tenants/${TENANT}`, { method: 'DELETE' })).status, 202, 'another operator deletes the tenant');
    const before = await snapshot();
    t.equal(before.status, 'deleting');
    await onlyLogged(t, browser, [chromiumLine(409, 'Conflict')], async () => {
      await apply.click();
      const alert = panel.locator('.settings-form > [role="alert"]');
      await alert.waitFor();
      const { detail } = await expectProblem(t, await api(`/tenants/${TENANT}`, { method: 'PATCH', json: { thumbnail: { widths: [500], format: 'webp', at: '25%', storyboard: {} } } }), 409, 'the same PATCH');
      t.equal(await alert.textContent(), detail, 'the detail, as the API says it');
      t.match(detail, /being deleted/);
      t.ok(((await apply.getAttribute('aria-describedby')) ?? '').split(' ').includes((await alert.getAttribute('id')) ?? '-'), 'Apply is described by it');
    });
    t.same(await snapshot(), before, 'settings, versions and operations unchanged');
    await screenshot(page, '29-settings-conflict');
    await panel.getByRole('button', { name: 'Close' }).click();
    thaw();
    await eventually(async () => ((await api(`/tenants/${TENANT}`)).status === 404 ? true : undefined), `${TENANT} deleted`);
  });

  t.test('no console errors, no request leaves the machine', async (t) => {
    t.same(browser.consoleErrors, [], 'no console errors');
    t.same(browser.outsideRequests, [], 'no request leaves the machine');
  });
});

// The tenant's webhook endpoints: the list (GET /webhooks), the form to add one (its signing secret
// shown once, copyable), delete after a confirmation, and one endpoint's delivery log at a time.
// It holds no endpoint state of its own: after every change it reads the list from the API.
import type { ApiClient } from '../api-client.js';
import type { CreatedWebhookEndpoint, Page, WebhookEndpoint } from '../api-types.js';
import { confirmAction } from '../confirm-dialog.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { localTime } from '../local-time.js';
import { oneTimeSecret } from '../one-time-secret.js';
import { deliveryLog, type DeliveryLog } from './delivery-log.js';
import { webhookForm } from './webhook-form.js';

/** Endpoints listed at once: the newest, as many as one page of the API holds. */
const LISTED_ENDPOINTS = 100;

export type WebhooksPanel = { readonly element: HTMLElement; stop(): void };

export function webhooksPanel(client: ApiClient): WebhooksPanel {
  const tableHolder = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'hint' }, 'Loading endpoints…'));
  const listError = errorSlot();
  const secretHolder = h('div');
  const logHolder = h('div');
  let log: { endpointId: string; view: DeliveryLog } | undefined;

  async function reload(): Promise<void> {
    tableHolder.setAttribute('aria-busy', 'true');
    try {
      const page = await client.get<Page<WebhookEndpoint>>(`/webhooks?limit=${LISTED_ENDPOINTS}`);
      listError.clear();
      replaceChildren(tableHolder, endpointsTable(page));
      if (log && !page.items.some((endpoint) => endpoint.id === log!.endpointId)) closeLog();
    } catch (error) {
      listError.show(error);
    } finally {
      tableHolder.setAttribute('aria-busy', 'false');
    }
  }

  function closeLog(): void {
    log?.view.stop();
    log = undefined;
    logHolder.replaceChildren();
    for (const button of tableHolder.querySelectorAll('button[aria-expanded]')) button.setAttribute('aria-expanded', 'false');
  }

  function openLog(endpoint: WebhookEndpoint, opener: HTMLButtonElement): void {
    const wasOpen = log?.endpointId === endpoint.id;
    closeLog();
    if (wasOpen) return;
    const view = deliveryLog(client, endpoint.id);
    log = { endpointId: endpoint.id, view };
    opener.setAttribute('aria-expanded', 'true');
    const titleId = uniqueId('deliveries-title');
    const refresh = h('button', { type: 'button', class: 'button button-small' }, 'Refresh');
    refresh.addEventListener('click', () => view.refresh());
    replaceChildren(
      logHolder,
      h(
        'section',
        { class: 'subpanel', id: `deliveries-${endpoint.id}`, 'aria-labelledby': titleId, 'data-endpoint': endpoint.id },
        h('div', { class: 'panel-head' }, h('h3', { id: titleId }, 'Deliveries to ', h('span', { class: 'mono' }, endpoint.url)), refresh),
        view.element,
      ),
    );
  }

  async function remove(endpoint: WebhookEndpoint): Promise<void> {
    const confirmed = await confirmAction({
      title: 'Delete this endpoint?',
      message: `${endpoint.url} is sent nothing more; its delivery log goes with it, and deliveries still pending are never sent. This cannot be undone.`,
      confirmLabel: 'Delete endpoint',
    });
    if (!confirmed) return;
    await client.send('DELETE', `/webhooks/${encodeURIComponent(endpoint.id)}`);
    await reload();
  }

  function endpointsTable(page: Page<WebhookEndpoint>): HTMLElement {
    if (page.items.length === 0) return h('p', { class: 'empty' }, 'No endpoints: add one below to be told when videos are ready.');
    return h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'card-table endpoints' },
        h('caption', { class: 'visually-hidden' }, 'Webhook endpoints'),
        h('thead', {}, h('tr', {}, ...['Endpoint', 'Events', 'Added', 'Actions'].map((name) => h('th', { scope: 'col' }, name)))),
        h('tbody', {}, ...page.items.map(endpointRow)),
      ),
      page.nextCursor === null ? false : h('p', { class: 'hint' }, `The newest ${LISTED_ENDPOINTS} endpoints are shown.`),
    );
  }

  function endpointRow(endpoint: WebhookEndpoint): HTMLTableRowElement {
    const rowError = errorSlot();
    const logId = `deliveries-${endpoint.id}`;
    const deliveries = h(
      'button',
      { type: 'button', class: 'button button-small', 'aria-expanded': String(log?.endpointId === endpoint.id), 'aria-controls': logId, 'aria-label': `Deliveries to ${endpoint.url}` },
      'Deliveries',
    );
    deliveries.addEventListener('click', () => openLog(endpoint, deliveries));
    const del = h('button', { type: 'button', class: 'button button-small button-danger', 'aria-label': `Delete ${endpoint.url}` }, 'Delete');
    del.addEventListener('click', () => {
      rowError.clear();
      del.disabled = true;
      remove(endpoint)
        .catch((error: unknown) => rowError.show(error))
        .finally(() => (del.disabled = false));
    });
    return h(
      'tr',
      { 'data-endpoint': endpoint.id },
      h('th', { scope: 'row', class: 'mono endpoint-url' }, endpoint.url),
      h('td', { 'data-label': 'Events' }, endpoint.events === null ? 'every event' : h('span', { class: 'mono' }, endpoint.events.join(', '))),
      h('td', { 'data-label': 'Added' }, localTime(endpoint.createdAt)),
      h('td', { class: 'row-actions' }, deliveries, del, rowError.element),
    );
  }

  function created(endpoint: CreatedWebhookEndpoint): void {
    replaceChildren(
      secretHolder,
      oneTimeSecret({
        title: `Signing secret for ${endpoint.url}`,
        text: 'Shown only this once. Verify every delivery with it (Standard Webhooks: the webhook-signature header), for example with the standardwebhooks package.',
        label: 'Signing secret',
        value: endpoint.secret,
        copyLabel: 'Copy secret',
        onDismiss: () => secretHolder.replaceChildren(),
      }),
    );
    void reload();
  }

  const element = h(
    'section',
    { class: 'panel webhooks', 'aria-labelledby': 'webhooks-title' },
    h('h2', { id: 'webhooks-title' }, 'Webhooks'),
    h('p', { class: 'hint' }, 'Signed messages to your application when a video is ready, fails or is deleted, and when the tenant or its operations change.'),
    tableHolder,
    listError.element,
    logHolder,
    secretHolder,
    h('section', { class: 'subpanel', 'aria-labelledby': 'webhook-add-title' }, h('h3', { id: 'webhook-add-title' }, 'Add an endpoint'), webhookForm(client, created)),
  );
  void reload();
  return {
    element,
    stop: () => log?.view.stop(),
  };
}

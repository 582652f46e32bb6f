// One webhook endpoint's delivery log (GET /webhooks/:id/deliveries, newest first), a page at a
// time with "Load more": each message's status, attempts, last answer or error, next attempt and
// every attempt, with Redeliver. While a shown delivery is pending it reads the shown ones again
// every few seconds, and stops once none is: a status is always the API's, never guessed.
import { ApiError, errorText, isAbort, type ApiClient } from '../api-client.js';
import type { DeliveryAttempt, Page, WebhookDelivery } from '../api-types.js';
import { h, replaceChildren } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { localTime } from '../local-time.js';
import { statusBadge } from '../status-badge.js';

const PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;
const POLL_MS = 2000;

export type DeliveryLog = { readonly element: HTMLElement; /** Reads the shown deliveries again (new ones appear first). */ refresh(): void; stop(): void };

function attemptLine(attempt: DeliveryAttempt): HTMLLIElement {
  const outcome = attempt.responseStatus !== undefined ? `answered ${attempt.responseStatus}` : `no answer: ${attempt.error ?? 'unknown'}`;
  return h('li', { 'data-attempt': attempt.attempt }, `#${attempt.attempt} `, localTime(attempt.startedAt), ` · ${attempt.durationMs} ms · ${outcome}`);
}

export function deliveryLog(client: ApiClient, endpointId: string): DeliveryLog {
  const path = `/webhooks/${encodeURIComponent(endpointId)}/deliveries`;
  const list = h('ol', { class: 'history deliveries', 'aria-label': 'Deliveries, newest first' });
  const more = h('button', { type: 'button', class: 'button button-small', hidden: true }, 'Load more');
  const loadError = errorSlot(more);
  const actionError = errorSlot();
  const element = h('div', { class: 'history-holder', 'aria-busy': 'true' }, actionError.element, list, loadError.element, h('div', { class: 'actions' }, more));

  let items: WebhookDelivery[] = [];
  let nextCursor: string | null = null;
  let shown = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopped = new AbortController();
  /** Attempt logs the reader opened stay open across a refresh. */
  const opened = new Set<string>();

  function render(): void {
    element.setAttribute('aria-busy', 'false');
    more.hidden = nextCursor === null;
    const state = JSON.stringify(items);
    if (state === shown) return;
    shown = state;
    if (items.length === 0) replaceChildren(list, h('li', { class: 'empty' }, 'Nothing sent yet: deliveries appear here as events happen.'));
    else replaceChildren(list, ...items.map(entry));
  }

  function schedule(): void {
    clearTimeout(timer);
    if (!stopped.signal.aborted && items.some((delivery) => delivery.status === 'pending')) timer = setTimeout(() => void refresh(), POLL_MS);
  }

  const read = (limit: number, cursor?: string) =>
    client.get<Page<WebhookDelivery>>(`${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, stopped.signal);

  async function refresh(): Promise<void> {
    try {
      const page = await read(Math.min(Math.max(items.length, PAGE_SIZE), MAX_PAGE_SIZE));
      items = page.items;
      nextCursor = page.nextCursor;
      loadError.clear();
      render();
    } catch (error) {
      if (isAbort(error)) return;
      loadError.show(error);
      if (error instanceof ApiError && error.status < 500) return;
    }
    schedule();
  }

  async function redeliver(delivery: WebhookDelivery): Promise<void> {
    actionError.clear();
    try {
      await client.send('POST', `${path}/${encodeURIComponent(delivery.id)}/redeliver`, undefined, stopped.signal);
    } catch (error) {
      if (isAbort(error)) return;
      actionError.show(new Error(`Could not redeliver ${delivery.eventType}: ${errorText(error)}`));
    }
    await refresh();
  }

  function entry(delivery: WebhookDelivery): HTMLLIElement {
    const again = h('button', { type: 'button', class: 'button button-small', 'aria-label': `Redeliver ${delivery.eventType} ${delivery.id}` }, 'Redeliver');
    again.addEventListener('click', () => {
      again.disabled = true;
      void redeliver(delivery).finally(() => (again.disabled = false));
    });
    const last =
      delivery.lastResponseStatus !== undefined ? `last answer ${delivery.lastResponseStatus}` : delivery.lastError ? `last error: ${delivery.lastError}` : undefined;
    const attempts = h(
      'details',
      { class: 'attempts', open: opened.has(delivery.id) },
      h('summary', {}, `Attempts (${delivery.log.length})`),
      h('ol', { class: 'attempt-log' }, ...delivery.log.map(attemptLine)),
    );
    attempts.addEventListener('toggle', () => (attempts.open ? opened.add(delivery.id) : opened.delete(delivery.id)));
    return h(
      'li',
      { class: 'history-entry', 'data-delivery': delivery.id, 'data-status': delivery.status },
      h(
        'div',
        { class: 'entry-head' },
        statusBadge(delivery.status),
        h('strong', { class: 'mono' }, delivery.eventType),
        h('span', { class: 'hint' }, `${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}`),
        again,
      ),
      h(
        'p',
        { class: 'hint entry-times' },
        'created ',
        localTime(delivery.createdAt),
        ...(delivery.deliveredAt ? [', delivered ', localTime(delivery.deliveredAt)] : []),
        ...(delivery.failedAt ? [', gave up ', localTime(delivery.failedAt)] : []),
        ...(delivery.nextAttemptAt ? [', next attempt ', localTime(delivery.nextAttemptAt)] : []),
      ),
      last ? h('p', { class: delivery.status === 'delivered' ? 'entry-note' : 'entry-error' }, last) : false,
      h('p', { class: 'hint mono entry-note' }, delivery.id),
      attempts,
    );
  }

  more.addEventListener('click', () => {
    if (nextCursor === null) return;
    more.disabled = true;
    loadError.clear();
    read(PAGE_SIZE, nextCursor)
      .then((page) => {
        items = [...items, ...page.items];
        nextCursor = page.nextCursor;
        render();
        schedule();
      })
      .catch((error: unknown) => {
        if (!isAbort(error)) loadError.show(error);
      })
      .finally(() => (more.disabled = false));
  });

  void refresh();
  return {
    element,
    refresh: () => void refresh(),
    stop() {
      stopped.abort();
      clearTimeout(timer);
    },
  };
}

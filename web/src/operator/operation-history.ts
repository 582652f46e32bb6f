// A tenant's operation history (GET /tenants/:id/operations, newest first), a page at a time with
// "Load more", and Cancel on an operation still queued or running, after a confirmation. While a
// shown operation has not ended it reads the shown entries again every few seconds, and stops once
// all have: a status is always the API's, never guessed. `onChanged` hears of a cancel and of every
// shown operation that ended, since the tenant's status may have changed with it.
import { ApiError, errorText, isAbort, type ApiClient } from '../api-client.js';
import type { OperationRecord, Page } from '../api-types.js';
import { confirmAction } from '../confirm-dialog.js';
import { h, replaceChildren } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { localTime } from '../local-time.js';
import { statusBadge } from '../status-badge.js';
import { canCancel, isUnfinished, KIND_NAMES, runTime } from './history-entry.js';

const PAGE_SIZE = 5;
/** The API's largest page: a refresh reads every shown entry in one call up to this. */
const MAX_PAGE_SIZE = 100;
const POLL_MS = 2000;

export type OperationHistory = { readonly element: HTMLElement; refresh(): Promise<void>; stop(): void };

export function operationHistory(client: ApiClient, tenantId: string, onChanged: () => void): OperationHistory {
  const path = `/tenants/${encodeURIComponent(tenantId)}/operations`;
  const list = h('ol', { class: 'history', 'aria-label': `Operations of ${tenantId}, newest first` });
  const more = h('button', { type: 'button', class: 'button button-small', hidden: true }, 'Load more');
  const loadError = errorSlot(more);
  const actionError = errorSlot();
  const element = h('div', { class: 'history-holder', 'aria-busy': 'true' }, actionError.element, list, loadError.element, h('div', { class: 'actions' }, more));

  let items: OperationRecord[] = [];
  let nextCursor: string | null = null;
  let shown = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopped = new AbortController();

  function render(): void {
    element.setAttribute('aria-busy', 'false');
    more.hidden = nextCursor === null;
    const state = JSON.stringify(items);
    if (state === shown) return;
    shown = state;
    if (items.length === 0) replaceChildren(list, h('li', { class: 'empty' }, 'No operations yet.'));
    else replaceChildren(list, ...items.map(entry));
  }

  function schedule(): void {
    clearTimeout(timer);
    if (!stopped.signal.aborted && items.some(isUnfinished)) timer = setTimeout(() => void refresh(), POLL_MS);
  }

  async function read(limit: number, cursor?: string): Promise<Page<OperationRecord>> {
    return client.get<Page<OperationRecord>>(`${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, stopped.signal);
  }

  /** Reads the shown entries again (at least a page), newest first. */
  async function refresh(): Promise<void> {
    try {
      const page = await read(Math.min(Math.max(items.length, PAGE_SIZE), MAX_PAGE_SIZE));
      const wereUnfinished = new Set(items.filter(isUnfinished).map((operation) => operation.id));
      const ended = page.items.some((operation) => wereUnfinished.has(operation.id) && !isUnfinished(operation));
      items = page.items;
      nextCursor = page.nextCursor;
      loadError.clear();
      render();
      if (ended) onChanged();
    } catch (error) {
      if (isAbort(error)) return;
      loadError.show(error);
      // A refusal (the tenant deleted, the session revoked) does not pass by reading again.
      if (error instanceof ApiError && error.status < 500) return;
    }
    schedule();
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

  async function cancel(operation: OperationRecord): Promise<void> {
    const kind = KIND_NAMES[operation.kind];
    const confirmed = await confirmAction({
      title: `Cancel this ${operation.status} ${kind}?`,
      message:
        operation.status === 'queued'
          ? 'It is dropped before it runs; the tenant returns to the state the operation before it left.'
          : `Its engine run is ended safely and the stack refreshed, so its state is what the cloud holds. The tenant then shows interrupted (failed if it was being provisioned) until its next up.`,
      confirmLabel: `Cancel the ${kind}`,
      keepLabel: 'Keep it',
    });
    if (!confirmed) return;
    actionError.clear();
    try {
      await client.send('POST', `${path}/${encodeURIComponent(operation.id)}/cancel`);
      onChanged();
    } catch (error) {
      actionError.show(new Error(`Could not cancel the ${kind}: ${errorText(error)}`));
    }
    // Either way, show where it stands now.
    await refresh();
  }

  function entry(operation: OperationRecord): HTMLLIElement {
    const kind = KIND_NAMES[operation.kind];
    const ran = runTime(operation);
    const cancelButton =
      canCancel(operation) &&
      h('button', { type: 'button', class: 'button button-small button-danger', 'aria-label': `Cancel the ${operation.status} ${kind}` }, 'Cancel');
    if (cancelButton) cancelButton.addEventListener('click', () => void cancel(operation));
    return h(
      'li',
      { class: 'history-entry', 'data-operation': operation.id, 'data-status': operation.status },
      h(
        'div',
        { class: 'entry-head' },
        statusBadge(operation.status),
        h('strong', {}, kind),
        operation.settingsVersion !== undefined ? h('span', { class: 'hint' }, `settings version ${operation.settingsVersion}`) : false,
        cancelButton,
      ),
      h(
        'p',
        { class: 'hint entry-times' },
        'queued ',
        localTime(operation.createdAt),
        ...(operation.startedAt ? [', started ', localTime(operation.startedAt)] : []),
        ...(operation.finishedAt ? [', ended ', localTime(operation.finishedAt)] : []),
        ran ? ` (ran ${ran})` : '',
        operation.attempt > 1 ? `, attempt ${operation.attempt}` : '',
      ),
      operation.cancelRequestedAt && isUnfinished(operation) ? h('p', { class: 'entry-note' }, 'Cancel requested at ', localTime(operation.cancelRequestedAt), ': its run is being ended.') : false,
      operation.error ? h('p', { class: 'entry-error' }, operation.error) : false,
    );
  }

  void refresh();
  return {
    element,
    refresh,
    stop() {
      stopped.abort();
      clearTimeout(timer);
    },
  };
}

// A tenant's API keys (prefix, creation, last use) with New key, Rotate and Revoke. A new key is
// shown once (api-key-notice) and never kept; Rotate is a new key, then the old one revoked, and
// Rotate and Revoke ask first: a revoked key is refused from the next request on.
import { errorText, type ApiClient } from '../api-client.js';
import type { ApiKeyRecord, CreatedKey, Page } from '../api-types.js';
import { confirmAction } from '../confirm-dialog.js';
import { h, replaceChildren } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { localTime } from '../local-time.js';
import { apiKeyNotice } from './api-key-notice.js';

/** The API's largest page; a tenant with more keys than this is told so. */
const LISTED_KEYS = 100;

export type TenantKeys = { readonly element: HTMLElement; refresh(): Promise<void> };

export function tenantKeys(client: ApiClient, tenantId: string): TenantKeys {
  const path = `/tenants/${encodeURIComponent(tenantId)}/keys`;
  const create = h('button', { type: 'button', class: 'button button-small' }, 'New key');
  const error = errorSlot(create);
  const noticeHolder = h('div');
  const tableHolder = h('div', { 'aria-busy': 'true' });
  const element = h('div', { class: 'keys-holder' }, h('div', { class: 'actions actions-start' }, create), error.element, noticeHolder, tableHolder);

  async function refresh(): Promise<void> {
    tableHolder.setAttribute('aria-busy', 'true');
    try {
      const page = await client.get<Page<ApiKeyRecord>>(`${path}?limit=${LISTED_KEYS}`);
      replaceChildren(tableHolder, keysTable(page));
    } catch (failure) {
      error.show(failure);
    } finally {
      tableHolder.setAttribute('aria-busy', 'false');
    }
  }

  function showKey(created: CreatedKey): void {
    replaceChildren(noticeHolder, apiKeyNotice(tenantId, created.apiKey, () => noticeHolder.replaceChildren()));
  }

  /** Runs an action of the keys panel: its error is shown, and the list is read again either way. */
  async function act(run: () => Promise<void>): Promise<void> {
    error.clear();
    try {
      await run();
    } catch (failure) {
      error.show(failure);
    }
    await refresh();
  }

  const newKey = () => act(async () => showKey(await client.send<CreatedKey>('POST', path)));

  async function rotate(key: ApiKeyRecord): Promise<void> {
    const confirmed = await confirmAction({
      title: `Rotate key ${key.prefix}…?`,
      message: 'A new key is made and shown once; this one is then revoked and stops working at once. Give the tenant the new key first if it is in use.',
      confirmLabel: 'Rotate key',
    });
    if (!confirmed) return;
    await act(async () => {
      // The new key is shown before the old one goes: a failed revoke never loses a key shown once.
      showKey(await client.send<CreatedKey>('POST', path));
      await client.send('DELETE', `${path}/${encodeURIComponent(key.id)}`).catch((failure: unknown) => {
        throw new Error(`The new key was made, but ${key.prefix}… was not revoked: ${errorText(failure)}`);
      });
    });
  }

  async function revoke(key: ApiKeyRecord): Promise<void> {
    const confirmed = await confirmAction({
      title: `Revoke key ${key.prefix}…?`,
      message: 'Every request made with it is refused from now on. This cannot be undone.',
      confirmLabel: 'Revoke key',
    });
    if (!confirmed) return;
    await act(() => client.send('DELETE', `${path}/${encodeURIComponent(key.id)}`));
  }

  function keysTable(page: Page<ApiKeyRecord>): HTMLElement {
    if (page.items.length === 0) return h('p', { class: 'empty' }, 'No keys: this tenant cannot sign in until it gets a new one.');
    const button = (label: string, className: string, key: ApiKeyRecord, run: (key: ApiKeyRecord) => Promise<void>) => {
      const element = h('button', { type: 'button', class: `button button-small ${className}`, 'aria-label': `${label} ${key.prefix}` }, label);
      element.addEventListener('click', () => {
        element.disabled = true;
        void run(key).finally(() => (element.disabled = false));
      });
      return element;
    };
    return h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'card-table keys' },
        h('caption', { class: 'visually-hidden' }, `API keys of ${tenantId}`),
        h('thead', {}, h('tr', {}, ...['Key', 'Created', 'Last used', 'Actions'].map((name) => h('th', { scope: 'col' }, name)))),
        h(
          'tbody',
          {},
          ...page.items.map((key) =>
            h(
              'tr',
              { 'data-key': key.id },
              h('th', { scope: 'row', class: 'mono' }, `${key.prefix}…`),
              h('td', { 'data-label': 'Created' }, localTime(key.createdAt)),
              h('td', { 'data-label': 'Last used' }, key.lastUsedAt ? localTime(key.lastUsedAt) : 'never'),
              h('td', { class: 'row-actions' }, button('Rotate', '', key, rotate), button('Revoke', 'button-danger', key, revoke)),
            ),
          ),
        ),
      ),
      page.nextCursor === null ? false : h('p', { class: 'hint' }, `The newest ${LISTED_KEYS} keys are shown.`),
    );
  }

  create.addEventListener('click', () => {
    create.disabled = true;
    void newKey().finally(() => (create.disabled = false));
  });
  void refresh();
  return { element, refresh };
}

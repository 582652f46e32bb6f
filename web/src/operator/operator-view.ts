// The operator's page: tenants table, create form (with the one-time API key), and the live
// progress of the operation the operator is watching. Holds no tenant state of its own: after
// every change it reloads the list from the API.
import type { ApiClient } from '../api-client.js';
import type { CreatedTenant, TenantSummary } from '../api-types.js';
import { confirmAction } from '../confirm-dialog.js';
import { h, replaceChildren } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import type { View } from '../view.js';
import { apiKeyNotice } from './api-key-notice.js';
import { createTenantForm } from './create-tenant-form.js';
import { operationProgress, type OperationProgress } from './operation-progress.js';
import { tenantsTable } from './tenants-table.js';

export function operatorView(client: ApiClient): View {
  const tableHolder = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'hint' }, 'Loading tenants…'));
  const refresh = h('button', { type: 'button', class: 'button button-small' }, 'Refresh');
  const listError = errorSlot(refresh);
  const progressHolder = h('div');
  const keyHolder = h('div');
  let watching: OperationProgress | undefined;

  async function reload(): Promise<void> {
    listError.clear();
    tableHolder.setAttribute('aria-busy', 'true');
    try {
      const { tenants } = await client.get<{ tenants: TenantSummary[] }>('/tenants');
      replaceChildren(tableHolder, tenantsTable(tenants, { progress: watch, retry, remove }));
    } catch (error) {
      listError.show(error);
    } finally {
      tableHolder.setAttribute('aria-busy', 'false');
    }
  }

  function watch(tenantId: string): void {
    watching?.stop();
    watching = operationProgress(
      client,
      tenantId,
      () => void reload(),
      () => (watching = undefined),
    );
    replaceChildren(progressHolder, watching.element);
    watching.element.scrollIntoView({ block: 'nearest' });
  }

  async function retry(tenantId: string): Promise<void> {
    await client.send('POST', `/tenants/${encodeURIComponent(tenantId)}/retry`);
    await reload();
    watch(tenantId);
  }

  async function remove(tenantId: string): Promise<void> {
    const confirmed = await confirmAction({
      title: `Delete ${tenantId}?`,
      message: `This destroys the tenant's stack: its bucket with every video and thumbnail, its function and its trigger. It cannot be undone.`,
      confirmLabel: `Delete ${tenantId}`,
    });
    if (!confirmed) return;
    await client.send('DELETE', `/tenants/${encodeURIComponent(tenantId)}`);
    await reload();
    watch(tenantId);
  }

  function created(tenant: CreatedTenant): void {
    replaceChildren(keyHolder, apiKeyNotice(tenant.id, tenant.apiKey, () => keyHolder.replaceChildren()));
    void reload();
    watch(tenant.id);
  }

  refresh.addEventListener('click', () => void reload());
  const element = h(
    'div',
    { class: 'view' },
    h('h1', {}, 'Tenants'),
    h('section', { class: 'panel', 'aria-labelledby': 'tenants-title' }, h('div', { class: 'panel-head' }, h('h2', { id: 'tenants-title' }, 'All tenants'), refresh), listError.element, tableHolder),
    keyHolder,
    progressHolder,
    h('section', { class: 'panel', 'aria-labelledby': 'create-title' }, h('h2', { id: 'create-title' }, 'Create a tenant'), createTenantForm(client, created)),
  );
  void reload();
  return { element, dispose: () => watching?.stop() };
}

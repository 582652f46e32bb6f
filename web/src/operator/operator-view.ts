// The operator's page: tenants table, create form (with the one-time API key), the live
// progress of the operation the operator is watching, the tenant being managed (settings,
// history, keys) and the image rollout. Holds no tenant state of its own: after every change it
// reloads the list from the API.
import type { ApiClient } from '../api-client.js';
import type { CreatedTenant, TenantSummary } from '../api-types.js';
import { confirmAction } from '../confirm-dialog.js';
import { h, replaceChildren } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import type { View } from '../view.js';
import { apiKeyNotice } from './api-key-notice.js';
import { createTenantForm } from './create-tenant-form.js';
import { operationProgress, type OperationProgress } from './operation-progress.js';
import { rolloutPanel } from './rollout-panel.js';
import { tenantPanel, type TenantPanel } from './tenant-panel.js';
import { tenantsTable } from './tenants-table.js';

export function operatorView(client: ApiClient): View {
  const tableHolder = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'hint' }, 'Loading tenants…'));
  const refresh = h('button', { type: 'button', class: 'button button-small' }, 'Refresh');
  const listError = errorSlot(refresh);
  const progressHolder = h('div');
  const keyHolder = h('div');
  const manageHolder = h('div');
  let watching: OperationProgress | undefined;
  let managing: TenantPanel | undefined;
  const rollouts = rolloutPanel(client, () => {
    void reload();
    managing?.refresh();
  });

  async function reload(): Promise<void> {
    listError.clear();
    tableHolder.setAttribute('aria-busy', 'true');
    try {
      const { tenants } = await client.get<{ tenants: TenantSummary[] }>('/tenants');
      replaceChildren(tableHolder, tenantsTable(tenants, { manage, progress: watch, retry, remove }));
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
      () => {
        void reload();
        if (managing?.tenantId === tenantId) managing.refresh();
      },
      () => (watching = undefined),
    );
    replaceChildren(progressHolder, watching.element);
    watching.element.scrollIntoView({ block: 'nearest' });
  }

  function manage(tenantId: string): void {
    managing?.stop();
    managing = tenantPanel(client, tenantId, {
      changed(changedId, queued) {
        void reload();
        if (queued) watch(changedId);
      },
      close: () => (managing = undefined),
    });
    replaceChildren(manageHolder, managing.element);
    managing.element.scrollIntoView({ block: 'start' });
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
    if (managing?.tenantId === tenantId) {
      managing.stop();
      managing = undefined;
      manageHolder.replaceChildren();
    }
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
    manageHolder,
    h('section', { class: 'panel', 'aria-labelledby': 'create-title' }, h('h2', { id: 'create-title' }, 'Create a tenant'), createTenantForm(client, created)),
    rollouts.element,
  );
  void reload();
  return {
    element,
    dispose() {
      watching?.stop();
      managing?.stop();
      rollouts.stop();
    },
  };
}

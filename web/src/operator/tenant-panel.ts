// One tenant, managed by the operator: its settings (preview, then apply), its operation history
// and its API keys. It reads the tenant when opened and whenever it is told something changed;
// closing it stops its polling and any preview on its way.
import type { ApiClient } from '../api-client.js';
import type { OperationAccepted, TenantDetail } from '../api-types.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { statusBadge } from '../status-badge.js';
import { operationHistory } from './operation-history.js';
import { settingsForm, type SettingsForm } from './settings-form.js';
import { tenantKeys } from './tenant-keys.js';

export type TenantPanel = {
  readonly element: HTMLElement;
  readonly tenantId: string;
  /** Reads the tenant, its history and its keys again. */
  refresh(): void;
  stop(): void;
};

export type TenantPanelActions = {
  /** An operation was queued (settings applied), cancelled or has ended: the tenant's status may have changed. */
  changed(tenantId: string, queued?: OperationAccepted): void;
  close(): void;
};

export function tenantPanel(client: ApiClient, tenantId: string, actions: TenantPanelActions): TenantPanel {
  const path = `/tenants/${encodeURIComponent(tenantId)}`;
  const titleId = uniqueId('tenant-title');
  const status = h('span');
  const versions = h('p', { class: 'hint' });
  const close = h('button', { type: 'button', class: 'button button-small' }, 'Close');
  const readError = errorSlot(close);
  const settingsHolder = h('div', {}, h('p', { class: 'hint' }, 'Loading settings…'));
  const history = operationHistory(client, tenantId, () => {
    actions.changed(tenantId);
    void readTenant();
  });
  const keys = tenantKeys(client, tenantId);
  let settings: SettingsForm | undefined;

  const section = (title: string, ...children: HTMLElement[]) => {
    const id = uniqueId('section-title');
    return h('section', { class: 'subpanel', 'aria-labelledby': id }, h('h3', { id }, title), ...children);
  };
  const element = h(
    'section',
    { class: 'panel tenant-panel', 'aria-labelledby': titleId, 'data-manage': tenantId },
    h('div', { class: 'panel-head' }, h('h2', { id: titleId }, 'Manage ', h('span', { class: 'mono' }, tenantId), ' ', status), close),
    versions,
    readError.element,
    h('div', { class: 'tenant-panel-grid' }, section('Thumbnail settings', settingsHolder), section('Operations', history.element)),
    section('API keys', keys.element),
  );

  function applied(accepted: OperationAccepted): void {
    actions.changed(tenantId, accepted);
    void readTenant();
    void history.refresh();
  }

  async function readTenant(): Promise<TenantDetail | undefined> {
    try {
      const tenant = await client.get<TenantDetail>(path);
      readError.clear();
      replaceChildren(status, statusBadge(tenant.status));
      versions.textContent =
        tenant.appliedSettingsVersion === tenant.settingsVersion
          ? `Settings version ${tenant.settingsVersion}, applied.`
          : `Settings version ${tenant.settingsVersion}; ${tenant.appliedSettingsVersion === undefined ? 'none applied yet' : `version ${tenant.appliedSettingsVersion} applied`}.`;
      return tenant;
    } catch (error) {
      readError.show(error);
      return undefined;
    }
  }

  void readTenant().then((tenant) => {
    if (!tenant) return;
    settings = settingsForm(client, tenantId, tenant.settings, applied);
    replaceChildren(settingsHolder, settings.element);
  });
  close.addEventListener('click', () => {
    stop();
    element.remove();
    actions.close();
  });

  function stop(): void {
    history.stop();
    settings?.stop();
  }

  return {
    element,
    tenantId,
    refresh() {
      void readTenant();
      void history.refresh();
      void keys.refresh();
    },
    stop,
  };
}

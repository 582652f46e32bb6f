// The operator's table of tenants with their status and the actions each status allows
// (manage, progress, retry for failed/interrupted, delete). Each row shows its own action errors.
import type { TenantSummary } from '../api-types.js';
import { h } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { localTime } from '../local-time.js';
import { statusBadge } from '../status-badge.js';

const RETRYABLE = new Set(['failed', 'interrupted']);

export type TenantActions = {
  manage(tenantId: string): void;
  progress(tenantId: string): void;
  retry(tenantId: string): Promise<void>;
  remove(tenantId: string): Promise<void>;
};

export function tenantsTable(tenants: TenantSummary[], actions: TenantActions): HTMLElement {
  if (tenants.length === 0) return h('p', { class: 'empty' }, 'No tenants yet. Create the first one below.');
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'card-table tenants' },
      h('caption', { class: 'visually-hidden' }, 'Tenants'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Tenant'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Actions'))),
      h('tbody', {}, ...tenants.map((tenant) => tenantRow(tenant, actions))),
    ),
  );
}

function tenantRow(tenant: TenantSummary, actions: TenantActions): HTMLTableRowElement {
  const rowError = errorSlot();
  const button = (label: string, className: string, run: () => Promise<void> | void) => {
    const element = h('button', { type: 'button', class: `button button-small ${className}`, 'aria-label': `${label} ${tenant.id}` }, label);
    element.addEventListener('click', () => {
      rowError.clear();
      element.disabled = true;
      Promise.resolve(run())
        .catch((error: unknown) => rowError.show(error))
        .finally(() => (element.disabled = false));
    });
    return element;
  };
  return h(
    'tr',
    { 'data-tenant': tenant.id },
    h('th', { scope: 'row', class: 'mono' }, tenant.id),
    h('td', { 'data-label': 'Status' }, statusBadge(tenant.status)),
    h('td', { 'data-label': 'Created' }, localTime(tenant.createdAt)),
    h(
      'td',
      { class: 'row-actions' },
      button('Manage', '', () => actions.manage(tenant.id)),
      button('Progress', '', () => actions.progress(tenant.id)),
      RETRYABLE.has(tenant.status) && button('Retry', '', () => actions.retry(tenant.id)),
      button('Delete', 'button-danger', () => actions.remove(tenant.id)),
      rowError.element,
    ),
  );
}

// The tenant's page: its status and settings, the uploader and the gallery. The gallery reloads
// its first page whenever an upload's thumbnails become ready.
import type { ApiClient } from '../api-client.js';
import type { TenantDetail } from '../api-types.js';
import { h } from '../dom.js';
import { statusBadge } from '../status-badge.js';
import type { View } from '../view.js';
import { gallery } from './gallery.js';
import { uploadPanel } from './upload-panel.js';

export function tenantView(client: ApiClient, tenant: TenantDetail): View {
  const thumbnails = gallery(client);
  const uploads = uploadPanel(client, () => thumbnails.refresh());
  const { widths, format } = tenant.settings;
  const element = h(
    'div',
    { class: 'view' },
    h('h1', {}, 'Tenant ', h('span', { class: 'mono' }, tenant.id), ' ', statusBadge(tenant.status)),
    h('p', { class: 'hint' }, `Thumbnails: ${widths.join(', ')} px wide, ${format}.`),
    tenant.status === 'ready' ? false : h('p', { class: 'notice', role: 'status' }, `This tenant is ${tenant.status}: uploads are accepted once it is ready.`),
    uploads.element,
    thumbnails.element,
  );
  return { element, dispose: uploads.dispose };
}

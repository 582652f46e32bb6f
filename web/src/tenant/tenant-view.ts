// The tenant's page: its status and settings, the uploader, the gallery of its videos and its
// webhook endpoints. The gallery reads the catalog again whenever an upload is stored or ready.
import type { ApiClient } from '../api-client.js';
import type { TenantDetail } from '../api-types.js';
import { h } from '../dom.js';
import { statusBadge } from '../status-badge.js';
import type { View } from '../view.js';
import { uploadPanel } from './upload-panel.js';
import { videoGallery } from './video-gallery.js';
import { webhooksPanel } from './webhooks-panel.js';

export function tenantView(client: ApiClient, tenant: TenantDetail): View {
  const videos = videoGallery(client);
  const uploads = uploadPanel(client, tenant.id, { accepted: () => videos.refresh(), ready: () => videos.refresh() });
  const webhooks = webhooksPanel(client);
  const { widths, format, storyboard, preview } = tenant.settings;
  const extras = [storyboard && 'a storyboard', preview && 'an animated preview'].filter(Boolean).join(' and ');
  const element = h(
    'div',
    { class: 'view' },
    h('h1', {}, 'Tenant ', h('span', { class: 'mono' }, tenant.id), ' ', statusBadge(tenant.status)),
    h('p', { class: 'hint' }, `Thumbnails: ${widths.join(', ')} px wide, ${format}${extras ? `, with ${extras}` : ''}.`),
    tenant.status === 'ready' ? false : h('p', { class: 'notice', role: 'status' }, `This tenant is ${tenant.status}: uploads are accepted once it is ready.`),
    uploads.element,
    videos.element,
    webhooks.element,
  );
  return {
    element,
    dispose() {
      uploads.dispose();
      videos.stop();
      webhooks.stop();
    },
  };
}

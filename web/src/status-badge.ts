// A tenant, operation or video status as a coloured badge. The word is always shown: colour
// alone never carries the meaning.
import { h } from './dom.js';

const TONE: Record<string, string> = {
  ready: 'ok',
  succeeded: 'ok',
  delivered: 'ok',
  provisioning: 'busy',
  updating: 'busy',
  deleting: 'busy',
  queued: 'busy',
  running: 'busy',
  pending: 'busy',
  uploading: 'busy',
  processing: 'busy',
  failed: 'bad',
  rejected: 'bad',
  interrupted: 'warn',
  cancelled: 'warn',
};

export function statusBadge(status: string): HTMLSpanElement {
  return h('span', { class: `badge badge-${TONE[status] ?? 'neutral'}` }, status);
}

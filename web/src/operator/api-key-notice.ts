// Shows a new tenant's API key the one time the API returns it, with a copy button. The key is
// never stored by the console: once this notice is dismissed it is gone.
import { h, uniqueId } from '../dom.js';

export function apiKeyNotice(tenantId: string, apiKey: string, onDismiss: () => void): HTMLElement {
  const keyField = h('input', { id: uniqueId('api-key'), class: 'mono', readonly: true, value: apiKey, spellcheck: 'false' });
  const copyStatus = h('span', { class: 'hint', role: 'status' });
  const copy = h('button', { type: 'button', class: 'button' }, 'Copy key');
  copy.addEventListener('click', () => {
    navigator.clipboard.writeText(apiKey).then(
      () => (copyStatus.textContent = 'Copied.'),
      () => {
        // Clipboard refused (insecure origin or permission): leave the key selected for Ctrl+C.
        keyField.select();
        copyStatus.textContent = 'Press Ctrl+C to copy the selected key.';
      },
    );
  });
  const dismiss = h('button', { type: 'button', class: 'button' }, 'I have saved it');
  dismiss.addEventListener('click', () => {
    notice.remove();
    onDismiss();
  });
  const notice = h(
    'section',
    { class: 'notice', 'aria-labelledby': `${keyField.id}-title` },
    h('h3', { id: `${keyField.id}-title` }, `API key for ${tenantId}`),
    h('p', {}, 'Shown only this once: the server keeps just a hash of it. Give it to the tenant to sign in.'),
    h('label', { for: keyField.id }, 'API key'),
    h('div', { class: 'inline-field' }, keyField, copy),
    copyStatus,
    h('div', { class: 'actions' }, dismiss),
  );
  return notice;
}

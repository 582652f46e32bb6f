// Shows a secret the API returns only once (a tenant's API key, a webhook's signing secret) with a
// copy button. The console never stores it: once the notice is dismissed, it is gone.
import { h, uniqueId } from './dom.js';

export type OneTimeSecret = {
  title: string;
  /** Why it is shown only now, and what to do with it. */
  text: string;
  /** The field's label, e.g. "API key". */
  label: string;
  value: string;
  /** e.g. "Copy key". */
  copyLabel: string;
  onDismiss(): void;
};

export function oneTimeSecret(secret: OneTimeSecret): HTMLElement {
  const field = h('input', { id: uniqueId('secret'), class: 'mono', readonly: true, value: secret.value, spellcheck: 'false' });
  const copyStatus = h('span', { class: 'hint', role: 'status' });
  const copy = h('button', { type: 'button', class: 'button' }, secret.copyLabel);
  copy.addEventListener('click', () => {
    navigator.clipboard.writeText(secret.value).then(
      () => (copyStatus.textContent = 'Copied.'),
      () => {
        // Clipboard refused (insecure origin or permission): leave it selected for Ctrl+C.
        field.select();
        copyStatus.textContent = 'Press Ctrl+C to copy the selected text.';
      },
    );
  });
  const dismiss = h('button', { type: 'button', class: 'button' }, 'I have saved it');
  dismiss.addEventListener('click', () => {
    notice.remove();
    secret.onDismiss();
  });
  const notice = h(
    'section',
    { class: 'notice', 'aria-labelledby': `${field.id}-title` },
    h('h3', { id: `${field.id}-title` }, secret.title),
    h('p', {}, secret.text),
    h('label', { for: field.id }, secret.label),
    h('div', { class: 'inline-field' }, field, copy),
    copyStatus,
    h('div', { class: 'actions' }, dismiss),
  );
  return notice;
}

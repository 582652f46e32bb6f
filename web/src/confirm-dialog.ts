// Asks before something that cannot be undone, in a modal <dialog> (focus stays inside, Escape
// cancels). Cancel has the focus first, so Enter never destroys anything by accident.
import { h } from './dom.js';

/** `keepLabel` names the way out (default "Cancel"), for actions that are themselves a cancel. */
export function confirmAction(options: { title: string; message: string; confirmLabel: string; keepLabel?: string }): Promise<boolean> {
  const cancel = h('button', { type: 'button', class: 'button', value: 'cancel', autofocus: true }, options.keepLabel ?? 'Cancel');
  const confirm = h('button', { type: 'button', class: 'button button-danger', value: 'confirm' }, options.confirmLabel);
  const dialog = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': 'confirm-title' },
    h('h2', { id: 'confirm-title' }, options.title),
    h('p', {}, options.message),
    h('div', { class: 'actions' }, cancel, confirm),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    cancel.addEventListener('click', () => dialog.close('cancel'));
    confirm.addEventListener('click', () => dialog.close('confirm'));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    dialog.showModal();
  });
}

// The place right next to a control where an API error (its problem+json `detail`) is shown,
// linked to the control for screen readers. It never hides an error behind a generic message.
import { errorText } from './api-client.js';
import { h, uniqueId } from './dom.js';

export type ErrorSlot = {
  readonly element: HTMLParagraphElement;
  show(error: unknown): void;
  clear(): void;
};

/** `control` gets aria-describedby/aria-invalid pointing at the message while one is shown. */
export function errorSlot(control?: HTMLElement): ErrorSlot {
  const element = h('p', { class: 'error-text', id: uniqueId('error'), role: 'alert', hidden: true });
  if (control) control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), element.id].filter(Boolean).join(' '));
  return {
    element,
    show(error) {
      element.textContent = errorText(error);
      element.hidden = false;
      control?.setAttribute('aria-invalid', 'true');
    },
    clear() {
      element.textContent = '';
      element.hidden = true;
      control?.removeAttribute('aria-invalid');
    },
  };
}

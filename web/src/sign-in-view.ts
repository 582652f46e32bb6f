// The sign-in form: the admin token or a tenant API key, typed into a password field and
// checked against the API. The token is never put in a URL or shown back on screen.
import { ApiError } from './api-client.js';
import { h, uniqueId } from './dom.js';
import { errorSlot } from './error-slot.js';
import { signIn, type Session } from './session.js';
import type { View } from './view.js';

export function signInView(onSignedIn: (session: Session) => void, reason?: string): View {
  const token = h('input', { type: 'password', id: uniqueId('token'), name: 'token', required: true, autocomplete: 'current-password', spellcheck: 'false' });
  const hint = h('p', { class: 'hint', id: uniqueId('hint') }, 'Operators use the admin token the server printed at first start; tenants use their API key (tf_…).');
  token.setAttribute('aria-describedby', hint.id);
  const error = errorSlot(token);
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'stack-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: token.id }, 'Token or API key'), token, hint, error.element),
    h('div', { class: 'actions' }, submit),
  );
  if (reason) error.show(new Error(reason));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.clear();
    const value = token.value.trim();
    if (value === '') {
      error.show(new Error('Enter a token or an API key.'));
      token.focus();
      return;
    }
    submit.disabled = true;
    signIn(value)
      .then(onSignedIn, (failure: unknown) => {
        error.show(failure instanceof ApiError && failure.status === 401 ? new Error(`Not signed in: ${failure.message}`) : failure);
        token.focus();
      })
      .finally(() => (submit.disabled = false));
  });
  const element = h('div', { class: 'view view-narrow' }, h('h1', {}, 'Sign in'), h('section', { class: 'panel' }, form));
  queueMicrotask(() => token.focus());
  return { element, dispose: () => undefined };
}

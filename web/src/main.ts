// The console's entry: restores the session from sessionStorage, shows sign-in, the operator or
// the tenant page, and the sign-out button. It owns which view is shown and nothing else.
import './styles.css';
import { errorText } from './api-client.js';
import { h, replaceChildren } from './dom.js';
import { operatorView } from './operator/operator-view.js';
import { forgetToken, signIn, storedToken, type Session } from './session.js';
import { signInView } from './sign-in-view.js';
import { tenantView } from './tenant/tenant-view.js';
import type { View } from './view.js';

const main = document.getElementById('main')!;
const sessionBar = document.getElementById('session-bar')!;
let current: View | undefined;

function show(view: View): void {
  current?.dispose();
  current = view;
  replaceChildren(main, view.element);
}

function showSignIn(reason?: string): void {
  replaceChildren(sessionBar);
  show(signInView(showSession, reason));
}

function showSession(session: Session): void {
  const signOut = h('button', { type: 'button', class: 'button button-small' }, 'Sign out');
  signOut.addEventListener('click', () => {
    forgetToken();
    showSignIn();
  });
  const who = session.role === 'operator' ? 'operator' : `tenant ${session.tenant.id}`;
  replaceChildren(sessionBar, h('span', { class: 'who' }, `Signed in as ${who}`), signOut);
  show(session.role === 'operator' ? operatorView(session.client) : tenantView(session.client, session.tenant));
  main.focus();
}

const token = storedToken();
if (token === undefined) showSignIn();
else
  signIn(token).then(showSession, (error: unknown) => {
    forgetToken();
    showSignIn(`Your session ended: ${errorText(error)}`);
  });

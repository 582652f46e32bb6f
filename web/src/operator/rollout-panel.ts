// The image rollout: "Roll out image" starts one (POST /rollouts: an `up` for every ready tenant,
// `concurrency` at a time) and follows it (rollout-progress). One runs at a time: the API's 409
// says which, and is shown as it says it; nothing else is started.
import type { ApiClient } from '../api-client.js';
import type { Rollout } from '../api-types.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { problemField } from '../problem-field.js';
import { rolloutProgress, type RolloutProgress } from './rollout-progress.js';

export type RolloutPanel = { readonly element: HTMLElement; stop(): void };

export function rolloutPanel(client: ApiClient, onFinished: () => void): RolloutPanel {
  const concurrency = h('input', { id: uniqueId('concurrency'), name: 'concurrency', type: 'number', min: 1, step: 1, inputmode: 'numeric', autocomplete: 'off' });
  const hint = h('p', { class: 'hint', id: uniqueId('hint') }, "How many tenants' ups run at once. Empty for the service's default.");
  concurrency.setAttribute('aria-describedby', hint.id);
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Roll out image');
  const fieldError = errorSlot(concurrency);
  const formError = errorSlot(submit);
  const progressHolder = h('div');
  const form = h(
    'form',
    { class: 'stack-form', novalidate: true },
    h('p', { class: 'hint' }, "A tenant's function takes a new thumbnailer image only in an up: this runs one for every ready tenant."),
    h('div', { class: 'field' }, h('label', { for: concurrency.id }, 'Concurrency'), concurrency, hint, fieldError.element),
    h('div', { class: 'actions' }, submit),
    formError.element,
  );
  let following: RolloutProgress | undefined;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    fieldError.clear();
    formError.clear();
    // A number input's value is a number or empty: what the API receives is what was typed.
    const body = concurrency.value === '' ? {} : { concurrency: Number(concurrency.value) };
    submit.disabled = true;
    client
      .send<Rollout>('POST', '/rollouts', body)
      .then((rollout) => {
        following?.stop();
        following = rolloutProgress(client, rollout, () => {
          submit.disabled = false;
          onFinished();
        });
        replaceChildren(progressHolder, following.element);
      })
      .catch((error: unknown) => {
        submit.disabled = false;
        if (problemField(error, ['concurrency'])) {
          fieldError.show(error);
          concurrency.focus();
        } else {
          formError.show(error);
        }
      });
  });

  const element = h('section', { class: 'panel', 'aria-labelledby': 'rollout-title' }, h('h2', { id: 'rollout-title' }, 'Image rollout'), form, progressHolder);
  return { element, stop: () => following?.stop() };
}

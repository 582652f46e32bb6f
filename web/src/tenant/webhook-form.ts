// The tenant's form for a new webhook endpoint: its URL and, optionally, the event types it is
// sent. It sends what was typed and lets the API judge the URL (https, or loopback on the local
// target; no private address): a refusal's `detail` is shown next to the field it is about.
import type { ApiClient } from '../api-client.js';
import type { CreatedWebhookEndpoint, WebhookEventType } from '../api-types.js';
import { EVENT_TYPES } from './webhook-event-types.js';
import { h, uniqueId } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { problemField } from '../problem-field.js';

const FIELDS = ['url', 'events'] as const;

export function webhookForm(client: ApiClient, onCreated: (created: CreatedWebhookEndpoint) => void): HTMLFormElement {
  const url = h('input', { id: uniqueId('webhook-url'), name: 'url', type: 'url', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'https://example.com/hooks/thumbforge' });
  const urlHint = h('p', { class: 'hint', id: uniqueId('hint') }, 'https to a public address (on a local service, http to 127.0.0.1 also works).');
  url.setAttribute('aria-describedby', urlHint.id);
  const boxes = (Object.keys(EVENT_TYPES) as WebhookEventType[]).map((type) => {
    const box = h('input', { type: 'checkbox', id: uniqueId('event'), name: 'events', value: type });
    return { type, box, element: h('div', { class: 'check' }, box, h('label', { for: box.id, class: 'mono' }, type), h('span', { class: 'hint' }, EVENT_TYPES[type])) };
  });
  const eventsLegend = h('legend', {}, 'Events');
  const fieldset = h('fieldset', { class: 'events' }, eventsLegend, h('p', { class: 'hint' }, 'None ticked: every event, including types added later.'), h('div', { class: 'checks' }, ...boxes.map((item) => item.element)));
  const errors = { url: errorSlot(url), events: errorSlot(fieldset) };
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Add endpoint');
  const form = h(
    'form',
    { class: 'stack-form', novalidate: true, 'aria-label': 'Add a webhook endpoint' },
    h('div', { class: 'field' }, h('label', { for: url.id }, 'Endpoint URL'), url, urlHint, errors.url.element),
    h('div', { class: 'field' }, fieldset, errors.events.element),
    h('div', { class: 'actions' }, submit),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.url.clear();
    errors.events.clear();
    const events = boxes.filter((item) => item.box.checked).map((item) => item.type);
    const body = { url: url.value.trim(), ...(events.length > 0 && { events }) };
    submit.disabled = true;
    client
      .send<CreatedWebhookEndpoint>('POST', '/webhooks', body)
      .then((created) => {
        form.reset();
        onCreated(created);
      })
      .catch((error: unknown) => {
        // A 400 about the event types names them in its path; every other refusal is about the URL.
        const field = problemField(error, FIELDS) ?? 'url';
        errors[field].show(error);
        (field === 'url' ? url : boxes[0]!.box).focus();
      })
      .finally(() => (submit.disabled = false));
  });
  return form;
}

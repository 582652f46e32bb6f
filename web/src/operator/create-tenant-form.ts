// The operator's form for a new tenant (id, thumbnail widths, format). It sends what was typed
// and lets the API judge it: the tenant-id rule lives on the server, and its `detail` is shown
// next to the field it is about.
import type { ApiClient } from '../api-client.js';
import type { CreatedTenant } from '../api-types.js';
import { h, uniqueId } from '../dom.js';
import { errorSlot, type ErrorSlot } from '../error-slot.js';
import { problemField } from '../problem-field.js';
import { INVALID_WIDTHS, parseWidths } from './settings-input.js';

const FIELDS = ['id', 'widths', 'format'] as const;
type Field = (typeof FIELDS)[number];

export function createTenantForm(client: ApiClient, onCreated: (created: CreatedTenant) => void): HTMLFormElement {
  const idInput = h('input', { id: uniqueId('tenant-id'), name: 'id', required: true, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none' });
  const widthsInput = h('input', { id: uniqueId('widths'), name: 'widths', inputmode: 'numeric', placeholder: 'e.g. 320, 640', autocomplete: 'off' });
  const formatSelect = h(
    'select',
    { id: uniqueId('format'), name: 'format' },
    h('option', { value: '' }, 'default'),
    h('option', { value: 'jpeg' }, 'JPEG'),
    h('option', { value: 'webp' }, 'WebP'),
    h('option', { value: 'avif' }, 'AVIF'),
  );
  const idHint = h('p', { class: 'hint', id: uniqueId('hint') }, 'Lower-case letters, digits and "-", starting with a letter.');
  idInput.setAttribute('aria-describedby', idHint.id);
  const widthsHint = h('p', { class: 'hint', id: uniqueId('hint') }, 'Thumbnail widths in pixels, separated by commas. Empty for the default.');
  widthsInput.setAttribute('aria-describedby', widthsHint.id);
  const errors: Record<Field, ErrorSlot> = { id: errorSlot(idInput), widths: errorSlot(widthsInput), format: errorSlot(formatSelect) };
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Create tenant');

  const form = h(
    'form',
    { class: 'stack-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: idInput.id }, 'Tenant id'), idInput, idHint, errors.id.element),
    h('div', { class: 'field' }, h('label', { for: widthsInput.id }, 'Widths'), widthsInput, widthsHint, errors.widths.element),
    h('div', { class: 'field' }, h('label', { for: formatSelect.id }, 'Format'), formatSelect, errors.format.element),
    h('div', { class: 'actions' }, submit),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const slot of Object.values(errors)) slot.clear();
    const widths = parseWidths(widthsInput.value);
    if (widths === 'invalid') {
      errors.widths.show(new Error(INVALID_WIDTHS));
      widthsInput.focus();
      return;
    }
    const thumbnail = { ...(widths && { widths }), ...(formatSelect.value && { format: formatSelect.value }) };
    const body = { id: idInput.value.trim(), ...(Object.keys(thumbnail).length > 0 && { thumbnail }) };
    submit.disabled = true;
    client
      .send<CreatedTenant>('POST', '/tenants', body)
      .then((created) => {
        form.reset();
        onCreated(created);
      })
      .catch((error: unknown) => {
        // A 400 names its field in the detail's path; anything else (409: the id is taken) is about the id.
        const field = problemField(error, FIELDS) ?? 'id';
        errors[field].show(error);
        ({ id: idInput, widths: widthsInput, format: formatSelect })[field].focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

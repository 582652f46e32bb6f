// The operator's form for one tenant's thumbnail settings. "Preview" shows the plan the engine
// would run; only then "Apply" sends them (PATCH: an `up`), and editing after a preview asks for a
// new one, so nothing is applied unseen. API errors show next to the field they are about.
import { isAbort, type ApiClient } from '../api-client.js';
import type { OperationAccepted, PreviewResult, ThumbnailSettings } from '../api-types.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { problemField } from '../problem-field.js';
import { previewPlan } from './preview-plan.js';
import { fieldsOf, SETTINGS_FIELDS, thumbnailOf, type FrameMode, type SettingsField, type ThumbnailBody } from './settings-input.js';

export type SettingsForm = {
  readonly element: HTMLElement;
  /** Aborts a preview on its way. */
  stop(): void;
};

const POSITION_HINTS: Record<FrameMode, string> = {
  auto: 'The best frame near 10%, skipping black, fading and blurred frames.',
  seconds: 'Seconds from the start, such as 12.5.',
  percent: 'A share of the video, such as 10 for 10%.',
};

/** `current`: the tenant's settings, shown first; a storyboard or preview left on keeps their options. */
export function settingsForm(client: ApiClient, tenantId: string, current: ThumbnailSettings, onApplied: (accepted: OperationAccepted) => void): SettingsForm {
  const path = `/tenants/${encodeURIComponent(tenantId)}`;
  const widths = h('input', { id: uniqueId('widths'), name: 'widths', inputmode: 'numeric', autocomplete: 'off' });
  const widthsHint = h('p', { class: 'hint', id: uniqueId('hint') }, 'Pixels, separated by commas. Empty for the default.');
  widths.setAttribute('aria-describedby', widthsHint.id);
  const format = h('select', { id: uniqueId('format'), name: 'format' }, h('option', { value: 'jpeg' }, 'JPEG'), h('option', { value: 'webp' }, 'WebP'), h('option', { value: 'avif' }, 'AVIF'));
  const frame = h(
    'select',
    { id: uniqueId('frame'), name: 'frame' },
    h('option', { value: 'auto' }, 'Best frame (auto)'),
    h('option', { value: 'seconds' }, 'At a time (seconds)'),
    h('option', { value: 'percent' }, 'At a share of the video (%)'),
  );
  const position = h('input', { id: uniqueId('position'), name: 'position', inputmode: 'decimal', autocomplete: 'off' });
  const positionHint = h('p', { class: 'hint', id: uniqueId('hint') });
  position.setAttribute('aria-describedby', positionHint.id);
  const storyboard = h('input', { type: 'checkbox', id: uniqueId('storyboard'), name: 'storyboard' });
  const preview = h('input', { type: 'checkbox', id: uniqueId('preview'), name: 'preview' });
  const errors: Record<SettingsField, ReturnType<typeof errorSlot>> = { widths: errorSlot(widths), format: errorSlot(format), at: errorSlot(position) };
  const controls: Record<SettingsField, HTMLElement> = { widths, format, at: position };
  const previewButton = h('button', { type: 'submit', class: 'button' }, 'Preview changes');
  const apply = h('button', { type: 'button', class: 'button button-primary', disabled: true }, 'Apply settings');
  const formError = errorSlot(apply);
  const planStatus = h('p', { role: 'status', class: 'hint' }, 'Preview the changes to apply them.');
  const planHolder = h('div');

  const form = h(
    'form',
    { class: 'stack-form settings-form', novalidate: true, 'aria-label': `Thumbnail settings of ${tenantId}` },
    h('div', { class: 'field' }, h('label', { for: widths.id }, 'Widths'), widths, widthsHint, errors.widths.element),
    h('div', { class: 'field' }, h('label', { for: format.id }, 'Format'), format, errors.format.element),
    h(
      'div',
      { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { for: frame.id }, 'Frame'), frame),
      h('div', { class: 'field' }, h('label', { for: position.id }, 'Position'), position, positionHint, errors.at.element),
    ),
    h(
      'div',
      { class: 'checks' },
      h('div', { class: 'check' }, storyboard, h('label', { for: storyboard.id }, 'Storyboard'), h('span', { class: 'hint' }, 'tiles and a WebVTT track')),
      h('div', { class: 'check' }, preview, h('label', { for: preview.id }, 'Animated preview'), h('span', { class: 'hint' }, 'a short WebP')),
    ),
    h('div', { class: 'actions' }, previewButton, apply),
    formError.element,
    planStatus,
    planHolder,
  );

  /** The body the shown plan is for; undefined when none is (or the form changed since). */
  let previewed: ThumbnailBody | undefined;
  let previewing = new AbortController();

  function showFrame(): void {
    const mode = frame.value as FrameMode;
    position.disabled = mode === 'auto';
    positionHint.textContent = POSITION_HINTS[mode];
  }

  function clearErrors(): void {
    for (const slot of [...Object.values(errors), formError]) slot.clear();
  }

  function showError(error: unknown): void {
    const field = problemField(error, SETTINGS_FIELDS);
    if (field) {
      errors[field].show(error);
      controls[field].focus();
    } else {
      formError.show(error);
    }
  }

  function forgetPlan(message: string): void {
    previewing.abort();
    previewed = undefined;
    apply.disabled = true;
    planHolder.replaceChildren();
    planStatus.textContent = message;
  }

  function fill(settings: ThumbnailSettings): void {
    const fields = fieldsOf(settings);
    widths.value = fields.widths;
    format.value = fields.format;
    frame.value = fields.frame;
    position.value = fields.position;
    storyboard.checked = fields.storyboard;
    preview.checked = fields.preview;
    showFrame();
  }

  frame.addEventListener('change', showFrame);
  // An edit drops the plan, or the preview on its way (which would plan what the form no longer says).
  form.addEventListener('input', () => {
    if (previewed || previewButton.disabled) forgetPlan('The form changed since the preview: preview again to apply.');
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors();
    forgetPlan('Planning…');
    const input = thumbnailOf(
      { widths: widths.value, format: format.value, frame: frame.value as FrameMode, position: position.value, storyboard: storyboard.checked, preview: preview.checked },
      current,
    );
    if ('field' in input) {
      planStatus.textContent = 'Preview the changes to apply them.';
      errors[input.field].show(new Error(input.message));
      controls[input.field].focus();
      return;
    }
    const controller = new AbortController();
    previewing = controller;
    previewButton.disabled = true;
    client
      .send<PreviewResult>('POST', `${path}/preview`, { thumbnail: input.thumbnail }, controller.signal)
      .then((plan) => {
        previewed = input.thumbnail;
        planStatus.textContent = 'This is what applying these settings would do.';
        replaceChildren(planHolder, previewPlan(plan));
        apply.disabled = false;
      })
      .catch((error: unknown) => {
        if (isAbort(error)) return;
        planStatus.textContent = 'Preview the changes to apply them.';
        showError(error);
      })
      .finally(() => (previewButton.disabled = false));
  });

  apply.addEventListener('click', () => {
    const thumbnail = previewed;
    if (!thumbnail) return;
    clearErrors();
    apply.disabled = true;
    client
      .send<OperationAccepted>('PATCH', path, { thumbnail })
      .then((accepted) => {
        forgetPlan(`Sent: the ${accepted.operation.status} up that applies them is in the operations list.`);
        onApplied(accepted);
      })
      .catch((error: unknown) => {
        apply.disabled = false;
        showError(error);
      });
  });

  fill(current);
  return { element: form, stop: () => previewing.abort() };
}

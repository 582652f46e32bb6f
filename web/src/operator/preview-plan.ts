// Shows the plan a preview returned (POST /tenants/:id/preview): the counts in words and each
// resource step the engine would take. It shows what the engine said and decides nothing.
import type { PreviewResult } from '../api-types.js';
import { h } from '../dom.js';
import { planChangesSomething, planSummary } from './plan-summary.js';

export function previewPlan(plan: PreviewResult): HTMLElement {
  return h(
    'div',
    { class: 'plan', 'data-changes': planChangesSomething(plan.changes) ? 'some' : 'none' },
    h('p', { class: 'plan-summary' }, `Plan: ${planSummary(plan.changes)}.`, planChangesSomething(plan.changes) ? '' : ' Applying runs an up that changes nothing.'),
    h(
      'ul',
      { class: 'plan-steps', 'aria-label': 'Planned steps' },
      ...plan.steps.map((step) =>
        h('li', { 'data-op': step.op }, h('span', { class: `step-op step-${step.op}` }, step.op), ' ', h('span', { class: 'mono' }, step.name), ' ', h('span', { class: 'hint' }, step.type)),
      ),
    ),
  );
}

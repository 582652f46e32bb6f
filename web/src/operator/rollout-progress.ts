// The progress of one image rollout, read from GET /rollouts/:id every second until it has
// finished: tenants done of the total, the counts by status, and each tenant's status. It only
// reads; a stopped view never touches the DOM again.
import { ApiError, isAbort, type ApiClient } from '../api-client.js';
import type { Rollout } from '../api-types.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { localTime } from '../local-time.js';
import { statusBadge } from '../status-badge.js';
import { rolloutCounts, rolloutDone } from './rollout-summary.js';

const POLL_MS = 1000;

export type RolloutProgress = { readonly element: HTMLElement; stop(): void };

export function rolloutProgress(client: ApiClient, started: Rollout, onFinished: (rollout: Rollout) => void): RolloutProgress {
  const barId = uniqueId('rollout-bar');
  const bar = h('progress', { id: barId, max: Math.max(started.total, 1), value: 0 });
  const status = h('p', { role: 'status', class: 'operation-status' });
  const counts = h('p', { class: 'rollout-counts', 'aria-label': 'Tenants by status' });
  const members = h('ul', { class: 'rollout-tenants', 'aria-label': 'Tenants of the rollout' });
  const readError = errorSlot();
  const element = h(
    'div',
    { class: 'rollout', 'data-rollout': started.id },
    h('h3', {}, 'Rollout started ', localTime(started.createdAt), `, ${started.concurrency} at a time`),
    h('div', { class: 'progress-row' }, h('label', { for: barId }, 'Tenants'), bar),
    status,
    counts,
    readError.element,
    members,
  );
  const stopped = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;

  function show(rollout: Rollout): void {
    const done = rolloutDone(rollout);
    bar.max = Math.max(rollout.total, 1);
    bar.value = rollout.total === 0 ? bar.max : done;
    element.dataset.status = rollout.status;
    if (rollout.total === 0) status.textContent = 'No tenant was ready: there was nothing to roll out.';
    else if (rollout.status === 'finished') replaceChildren(status, 'Finished ', rollout.finishedAt ? localTime(rollout.finishedAt) : '', `: ${done} of ${rollout.total} tenants done.`);
    else status.textContent = `Running: ${done} of ${rollout.total} tenants done.`;
    replaceChildren(counts, ...rolloutCounts(rollout).flatMap(({ status: memberStatus, count }) => [h('span', { class: 'count', 'data-status': memberStatus }, statusBadge(memberStatus), ` ${count}`), ' ']));
    replaceChildren(
      members,
      ...rollout.tenants.map((member) =>
        h('li', { 'data-tenant': member.id, 'data-status': member.status }, h('span', { class: 'mono' }, member.id), ' ', statusBadge(member.status), member.reason ? h('span', { class: 'hint' }, ` ${member.reason}`) : false),
      ),
    );
  }

  async function poll(): Promise<void> {
    try {
      const rollout = await client.get<Rollout>(`/rollouts/${encodeURIComponent(started.id)}`, stopped.signal);
      readError.clear();
      show(rollout);
      if (rollout.status === 'finished') {
        onFinished(rollout);
        return;
      }
    } catch (error) {
      if (isAbort(error)) return;
      readError.show(error);
      // A refusal does not pass by reading again; anything else is read again, as the rollout goes on without this page.
      if (error instanceof ApiError && error.status < 500) return;
    }
    timer = setTimeout(() => void poll(), POLL_MS);
  }

  show(started);
  if (started.status === 'finished') onFinished(started);
  else timer = setTimeout(() => void poll(), POLL_MS);
  return {
    element,
    stop() {
      stopped.abort();
      clearTimeout(timer);
    },
  };
}

// The live view of a tenant's current (or last) operation, fed by GET /tenants/:id/events: a
// progress bar counted from the engine's resource events and the event log. It replays from the
// start, so opening it late shows the whole operation; it never polls.
import type { EventSourceMessage } from 'eventsource-parser/stream';
import { errorText, isAbort, type ApiClient } from '../api-client.js';
import type { OperationStatus, OperationSummary } from '../api-types.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { advance, describe, NO_PROGRESS, type EngineEvent, type Progress } from '../engine-progress.js';
import { followEvents } from '../event-stream.js';
import { statusBadge } from '../status-badge.js';

type Done = { operationId: string; status: OperationStatus; error?: string };

const HEADINGS: Record<OperationSummary['kind'], string> = { up: 'Provisioning', destroy: 'Deleting', refresh: 'Refreshing' };

export type OperationProgress = { readonly element: HTMLElement; readonly tenantId: string; stop(): void };

export function operationProgress(client: ApiClient, tenantId: string, onFinished: (done: Done) => void, onClose: () => void): OperationProgress {
  const titleId = uniqueId('progress-title');
  const barId = uniqueId('progress-bar');
  const bar = h('progress', { id: barId, max: 1 });
  const count = h('span', { class: 'hint' });
  const status = h('p', { role: 'status', class: 'operation-status' }, 'Connecting…');
  const log = h('ol', { class: 'event-log', role: 'log', 'aria-label': `Engine events for ${tenantId}` });
  const close = h('button', { type: 'button', class: 'button' }, 'Close');
  const follow = h('button', { type: 'button', class: 'button', hidden: true }, 'Follow again');
  const title = h('h2', { id: titleId }, `Operation on ${tenantId}`);
  const element = h(
    'section',
    { class: 'panel', 'aria-labelledby': titleId, 'data-tenant': tenantId },
    title,
    h('div', { class: 'progress-row' }, h('label', { for: barId }, 'Resources'), bar, count),
    status,
    log,
    h('div', { class: 'actions' }, follow, close),
  );

  let controller = new AbortController();
  let progress: Progress = NO_PROGRESS;
  let finished = false;

  function show(next: Progress, done?: Done): void {
    progress = next;
    if (done?.status === 'succeeded') {
      bar.max = Math.max(next.started, 1);
      bar.value = bar.max;
    } else if (next.started === 0) {
      bar.removeAttribute('value'); // indeterminate until the engine starts a resource
    } else {
      bar.max = next.started;
      bar.value = next.finished;
    }
    count.textContent =
      next.started === 0 && !done
        ? 'Waiting for the engine to start a resource…'
        : `${next.finished} of ${next.started} resource steps done${next.failed ? `, ${next.failed} failed` : ''}`;
  }

  /** The stream sends `operation` (the record) first, then `engine` events, then `done`. */
  function onMessage(message: EventSourceMessage): void {
    const data: unknown = JSON.parse(message.data);
    if (message.event === 'operation') {
      const operation = data as OperationSummary;
      title.textContent = `${HEADINGS[operation.kind]} ${tenantId}`;
      element.dataset.operation = operation.kind;
      return;
    }
    if (message.event === 'done') {
      const done = data as Done;
      finished = true;
      show(progress, done);
      replaceChildren(status, 'Finished: ', statusBadge(done.status), done.error ? ` ${done.error}` : '');
      onFinished(done);
      return;
    }
    if (message.event !== 'engine') return;
    const event = (data as { event: EngineEvent }).event;
    show(advance(progress, event));
    const line = describe(event);
    if (line !== undefined) {
      log.append(h('li', {}, line));
      log.scrollTop = log.scrollHeight;
    }
  }

  function start(): void {
    controller = new AbortController();
    follow.hidden = true;
    log.replaceChildren();
    finished = false;
    show(NO_PROGRESS);
    status.textContent = 'Following the operation…';
    followEvents(client, `/tenants/${encodeURIComponent(tenantId)}/events`, controller.signal, onMessage).then(
      () => {
        if (!finished) stopped('it ended before the operation finished');
      },
      (error: unknown) => {
        if (!isAbort(error)) stopped(errorText(error));
      },
    );
  }

  function stopped(reason: string): void {
    status.textContent = `The event stream stopped: ${reason}`;
    follow.hidden = false;
  }

  follow.addEventListener('click', start);
  close.addEventListener('click', () => {
    controller.abort();
    element.remove();
    onClose();
  });
  start();
  return { element, tenantId, stop: () => controller.abort() };
}

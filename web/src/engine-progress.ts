// Turns the Pulumi engine events of one operation into a progress count and readable log lines.
// Pure (no DOM, no I/O) so it is tested directly; it never guesses a total the engine did not announce.

/** The parts of a Pulumi automation EngineEvent the console reads. */
export type EngineEvent = {
  resourcePreEvent?: { metadata: StepMetadata; planning?: boolean };
  resOutputsEvent?: { metadata: StepMetadata; planning?: boolean };
  resOpFailedEvent?: { metadata: StepMetadata };
  diagnosticEvent?: { message: string; severity: string; ephemeral?: boolean };
  summaryEvent?: { durationSeconds: number; resourceChanges?: Record<string, number> };
  /** Sent at the end of every operation (the stream's end marker), not only on cancellation. */
  cancelEvent?: object;
};

type StepMetadata = { op: string; urn: string; type: string };

export type Progress = {
  /** Resource steps the engine has begun. */
  started: number;
  /** Steps whose outputs arrived (done). */
  finished: number;
  failed: number;
};

export const NO_PROGRESS: Progress = { started: 0, finished: 0, failed: 0 };

export function advance(progress: Progress, event: EngineEvent): Progress {
  if (event.resourcePreEvent && !event.resourcePreEvent.planning) return { ...progress, started: progress.started + 1 };
  if (event.resOutputsEvent && !event.resOutputsEvent.planning) return { ...progress, finished: progress.finished + 1 };
  if (event.resOpFailedEvent) return { ...progress, failed: progress.failed + 1 };
  return progress;
}

/** One log line for the events worth reading, undefined for the rest (planning, debug, prelude, end marker). */
export function describe(event: EngineEvent): string | undefined {
  if (event.resourcePreEvent && !event.resourcePreEvent.planning) return stepLine(ONGOING, event.resourcePreEvent.metadata);
  if (event.resOutputsEvent && !event.resOutputsEvent.planning) return stepLine(DONE, event.resOutputsEvent.metadata);
  if (event.resOpFailedEvent) return `failed to ${event.resOpFailedEvent.metadata.op} ${resourceName(event.resOpFailedEvent.metadata)}`;
  if (event.diagnosticEvent) return diagnosticLine(event.diagnosticEvent);
  if (event.summaryEvent) return summaryLine(event.summaryEvent);
  return undefined;
}

const ONGOING: Record<string, string> = {
  create: 'creating',
  update: 'updating',
  delete: 'deleting',
  replace: 'replacing',
  same: 'checking',
  read: 'reading',
  refresh: 'refreshing',
};
const DONE: Record<string, string> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  replace: 'replaced',
  same: 'unchanged',
  read: 'read',
  refresh: 'refreshed',
};

function stepLine(verbs: Record<string, string>, metadata: StepMetadata): string {
  return `${verbs[metadata.op] ?? metadata.op} ${resourceName(metadata)}`;
}

/** `type name`, the name being the last part of the URN (`urn:pulumi:stack::project::type::name`). */
function resourceName(metadata: StepMetadata): string {
  const name = metadata.urn.split('::').at(-1) ?? metadata.urn;
  return `${metadata.type} ${name}`;
}

function diagnosticLine(diagnostic: NonNullable<EngineEvent['diagnosticEvent']>): string | undefined {
  if (diagnostic.severity === 'debug' || diagnostic.ephemeral) return undefined;
  const message = plainText(diagnostic.message);
  if (message === '') return undefined;
  return diagnostic.severity.startsWith('info') ? message : `${diagnostic.severity}: ${message}`;
}

function summaryLine(summary: NonNullable<EngineEvent['summaryEvent']>): string {
  const changes = Object.entries(summary.resourceChanges ?? {})
    .filter(([, count]) => count > 0)
    .map(([op, count]) => `${count} ${DONE[op] ?? op}`);
  return `finished in ${summary.durationSeconds}s${changes.length ? `: ${changes.join(', ')}` : ''}`;
}

/** Drops Pulumi colour markup (`<{%reset%}>`) and ANSI escapes, which a browser cannot show. */
function plainText(message: string): string {
  return message.replace(/<\{%[^%]*%\}>/g, '').replace(/\u001b\[[0-9;]*m/g, '').trim();
}

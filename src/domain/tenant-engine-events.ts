// What a tenant key may see of an engine event: resource steps (op, type, urn, and a failure's
// status) and the run's summary, never raw engine diagnostics, inputs or outputs (they hold the IAM
// policy, ARNs with the account id, and the engine's log lines). Pure: no I/O.

type Step = { op?: unknown; type?: unknown; urn?: unknown };
type EngineEventLike = Record<string, unknown> & { sequence?: unknown; timestamp?: unknown };

const step = (metadata: unknown) => {
  const { op, type, urn } = (metadata ?? {}) as Step;
  return { op, type, urn };
};

/** The event as a tenant sees it, or undefined when nothing of it is for a tenant. */
export function tenantEngineEvent(event: EngineEventLike): Record<string, unknown> | undefined {
  const base = { sequence: event.sequence, timestamp: event.timestamp };
  const pre = event.resourcePreEvent as { metadata?: unknown } | undefined;
  if (pre) return { ...base, resourcePreEvent: { metadata: step(pre.metadata) } };
  const outputs = event.resOutputsEvent as { metadata?: unknown } | undefined;
  if (outputs) return { ...base, resOutputsEvent: { metadata: step(outputs.metadata) } };
  const failed = event.resOpFailedEvent as { metadata?: unknown; status?: unknown } | undefined;
  if (failed) return { ...base, resOpFailedEvent: { metadata: step(failed.metadata), status: failed.status } };
  const summary = event.summaryEvent as { resourceChanges?: unknown; durationSeconds?: unknown } | undefined;
  if (summary) return { ...base, summaryEvent: { resourceChanges: summary.resourceChanges, durationSeconds: summary.durationSeconds } };
  if (event.cancelEvent) return { ...base, cancelEvent: {} };
  return undefined;
}

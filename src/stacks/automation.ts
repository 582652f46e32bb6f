// The Pulumi Automation API, loaded when the first engine call needs it: a replica that serves
// reads and never runs the engine does not carry its ~80 MiB. Modules of src/stacks take its values
// through `automation()` and import only its types statically; nothing here loads it at import time.
type AutomationModule = typeof import('@pulumi/pulumi/automation/index.js');

let loading: Promise<AutomationModule> | undefined;
let loaded: AutomationModule | undefined;

export function automation(): Promise<AutomationModule> {
  return (loading ??= import('@pulumi/pulumi/automation/index.js').then((module) => (loaded = module)));
}

/**
 * Whether the engine refused a run because another run holds the stack's lock. Before the module
 * is loaded no engine call has run, so nothing can have failed that way.
 */
export function isStackLocked(error: unknown): boolean {
  return loaded !== undefined && error instanceof loaded.ConcurrentUpdateError;
}

/** Whether the error says the stack does not exist (it was removed while a call ran). */
export function isStackMissing(error: unknown): boolean {
  return loaded !== undefined && error instanceof loaded.StackNotFoundError;
}

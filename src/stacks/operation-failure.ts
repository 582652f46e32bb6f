// Turns an engine failure into the readable summary an operation record keeps: the engine's own
// error diagnostics when there are any, else the error's first line. Never stores the CLI's full
// stdout/stderr (long, and it can echo configuration).
import { isStackLocked } from './automation.js';

const MAX_SUMMARY_LENGTH = 2000;

function clean(message: string): string {
  return message
    .replace(/\u001b\[[0-9;]*m/g, '') // terminal colours
    .replace(/<\{%[a-z]+%\}>/g, '') // the engine's colour markup
    .replace(/\s+/g, ' ')
    .trim();
}

export function describeFailure(
  error: unknown,
  diagnostics: string[],
  context: { signal: AbortSignal; closing: AbortSignal; timeoutSeconds: number },
): string {
  if (context.closing.aborted) return 'interrupted: the service shut down during the operation';
  if (context.signal.aborted) return `timed out after ${context.timeoutSeconds} s; the engine was cancelled`;
  // The CLI fails before the engine starts, so there are no diagnostics and its message is "code: 255".
  if (isStackLocked(error)) return 'the stack is busy: another engine run (another replica or an operator) holds its lock; retry once it has finished';
  const lines = [...new Set(diagnostics.map(clean).filter(Boolean))];
  const summary = lines.length > 0 ? lines.join('; ') : clean(String((error as Error)?.message ?? error).split('\n')[0] ?? '');
  return summary.slice(0, MAX_SUMMARY_LENGTH) || 'the engine failed without a message';
}

// How a video's failure reads when the thumbnailer ran out of attempts without recording an
// outcome, the same on every target (the local runner's dead letter, the aws failure destination's
// record). Pure: it only words the reason.

/** `the thumbnailer gave up after 3 attempts (RetriesExhausted): <the last error>`; the condition and error when known. */
export function thumbnailerGaveUpReason(attempts: number, last: { condition?: string; error?: string } = {}): string {
  const condition = last.condition ? ` (${last.condition})` : '';
  const error = last.error ? `: ${last.error}` : '';
  return `the thumbnailer gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}${condition}${error}`;
}

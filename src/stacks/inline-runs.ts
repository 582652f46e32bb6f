// Inline programs share this process, and the Pulumi SDK charges every uncaught error of the
// process to each inline run in flight (its language server adds process-wide handlers per run): an
// engine that goes away under one run (cancelled, terminated) can fail another run of this process
// with "One or more errors occurred: <the other run's error>". This keeps count of the runs in
// flight, so a run that failed that way while another ran is made again (it is idempotent).
// It never retries a run whose signal fired, a run that ran alone, or a failure of another kind.

/** What the SDK's language server answers when it collected uncaught errors during a run. */
const COLLECTED_ERRORS = 'One or more errors occurred';
/** Runs beyond the first that a borrowed failure may cost; each needs another run beside it. */
const BORROWED_FAILURE_RETRIES = 2;

let inFlight = 0;
let begun = 0;

/**
 * Runs one engine call that runs an inline program (up, destroy, refresh, preview). A failure in
 * which the SDK collected uncaught errors, while another inline run of this process was in flight,
 * may be that run's: the call is made again, at most twice.
 */
export async function runInline<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    const othersAtStart = inFlight;
    const begunBefore = begun;
    inFlight++;
    begun++;
    try {
      return await call();
    } catch (error) {
      const overlapped = othersAtStart > 0 || begun > begunBefore + 1;
      if (retry >= BORROWED_FAILURE_RETRIES || signal.aborted || !overlapped || !String(error).includes(COLLECTED_ERRORS)) throw error;
    } finally {
      inFlight--;
    }
  }
}

// The one exponential backoff every retry in mcdns uses (the work queue, watch restarts,
// provider calls): base × 2^failures, capped, with optional jitter so that many clients that
// failed together do not come back together.

export interface BackoffOptions {
  /** The first delay. */
  baseMs: number;
  /** The longest delay (default: no cap). */
  maxMs?: number;
  /** Up to this fraction of the delay is added at random (default 0). */
  jitter?: number;
  /** Replaces Math.random for the jitter (tests). */
  random?: () => number;
}

/** The delay before the next try after `failures` failures in a row (0 for the first retry). */
export function backoffDelay(failures: number, opts: BackoffOptions): number {
  const exp = opts.baseMs * 2 ** Math.max(0, failures);
  const jittered = exp + exp * (opts.jitter ?? 0) * (opts.random ?? Math.random)();
  return Math.min(jittered, opts.maxMs ?? Number.POSITIVE_INFINITY);
}

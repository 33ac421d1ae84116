// Retries for provider calls: exponential backoff with jitter on throttling, 5xx, timeouts and
// write conflicts; Retry-After honoured; anything else fails at once.
import { ProviderError, networkError } from '../../providers/errors.js';
import { backoffDelay } from '../backoff.js';

export interface RetryOptions {
  /** Tries in all, the first included (default 4). */
  attempts?: number;
  /** First backoff (default 500 ms); doubles per try, with up to 50 % jitter. */
  baseDelayMs?: number;
  /** Longest single wait (default 30 s). A Retry-After beyond it is not waited for: the error is thrown. */
  maxDelayMs?: number;
  /** Replaces setTimeout-based sleeping (tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Replaces Math.random for the jitter (tests). */
  random?: () => number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The error as a ProviderError when it is one or a recognisable network failure. */
export function asProviderError(err: unknown, what: string): ProviderError | undefined {
  if (err instanceof ProviderError) return err;
  return networkError(err, what);
}

/** How long to wait before try number `attempt` (1-based count of failures so far): never less than a Retry-After. */
function retryDelay(attempt: number, err: ProviderError, opts: RetryOptions = {}): number {
  const delay = backoffDelay(attempt - 1, { baseMs: opts.baseDelayMs ?? 500, jitter: 0.5, ...(opts.random ? { random: opts.random } : {}) });
  return Math.max(delay, err.retryAfterMs ?? 0);
}

/**
 * Runs `fn` until it succeeds, a non-retryable error is thrown, or the tries are used up.
 * `onRetry` hears each failure that is retried and the wait before the next try.
 */
export async function withRetry<T>(
  what: string,
  fn: (attempt: number) => Promise<T>,
  opts: RetryOptions = {},
  onRetry?: (err: ProviderError, attempt: number, delayMs: number) => void,
): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 4);
  const maxDelay = opts.maxDelayMs ?? 30_000;
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const pe = asProviderError(err, what);
      if (!pe || !pe.retryable || attempt >= attempts) throw pe ?? err;
      const delay = retryDelay(attempt, pe, opts);
      if (delay > maxDelay) throw pe; // the caller re-queues after retryAfterMs
      onRetry?.(pe, attempt, delay);
      await sleep(delay);
    }
  }
}

/** Rejects with a 'timeout' ProviderError when `promise` has not settled after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProviderError(`${what}: no answer within ${ms} ms`, 'timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Provider failures in one shape, so the sink can decide what to retry and the controller can
// say in a condition what went wrong — without ever carrying a credential into a message.

export type ProviderErrorKind =
  /** 429 or a provider-side rate limit: retry after `retryAfterMs`. */
  | 'throttled'
  /** 5xx, connection refused/reset: retry with backoff. */
  | 'unavailable'
  /** No answer in time: retry with backoff (the write may or may not have happened). */
  | 'timeout'
  /** The zone changed between read and write (etag / etcd revision): re-read and re-plan. */
  | 'conflict'
  /** 401/403: credentials are wrong or lack permission; retrying will not help. */
  | 'auth'
  /** 4xx the provider rejected (bad record, missing zone, limit): retrying will not help. */
  | 'rejected';

const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set(['throttled', 'unavailable', 'timeout', 'conflict']);

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(message: string, kind: ProviderErrorKind, opts: { status?: number; retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'ProviderError';
    this.kind = kind;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** The error kind for an HTTP status; undefined for success codes. */
export function kindForStatus(status: number): ProviderErrorKind | undefined {
  if (status < 400) return undefined;
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'auth';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'unavailable';
  return 'rejected';
}

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Network-level failures Node reports by code: all worth a retry. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** A ProviderError for a failure without an HTTP status (socket errors, timeouts), or undefined. */
export function networkError(err: unknown, what: string): ProviderError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (TIMEOUT_CODES.has(code)) return new ProviderError(`${what}: timed out (${code})`, 'timeout');
  if (NETWORK_CODES.has(code)) return new ProviderError(`${what}: ${code}`, 'unavailable');
  return undefined;
}

// The one short, secret-free description of any thrown value, for logs, status messages and CLI
// output. Errors of the Kubernetes client need care: they end up in ClusterObservation.stateMessage
// (and from there in record status), so they must be one line and must not carry headers —
// client-node's ApiException message embeds the response headers and body verbatim, which is why
// it is never used as is.
import { ApiException } from '@kubernetes/client-node';

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/** The HTTP status an error carries: ApiException.code, the watch's statusCode, a Status body's code. */
export function statusCodeOf(err: unknown): number | undefined {
  for (const key of ['statusCode', 'code']) {
    const v = field(err, key);
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  const body = field(err, 'body');
  const code = field(body, 'code');
  return typeof code === 'number' ? code : undefined;
}

function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return body.length > 0 && body.length < 200 ? body : undefined;
    }
  }
  const message = field(parsed, 'message');
  if (typeof message === 'string' && message) return message;
  const reason = field(parsed, 'reason');
  return typeof reason === 'string' && reason ? reason : undefined;
}

/** The innermost useful cause text, e.g. "connect ECONNREFUSED 127.0.0.1:6443" below "fetch failed". */
function causeText(err: unknown): string | undefined {
  let cause = field(err, 'cause');
  let text: string | undefined;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    const message = field(cause, 'message');
    const code = field(cause, 'code');
    if (typeof message === 'string' && message) text = message;
    else if (typeof code === 'string') text = code;
    cause = field(cause, 'cause');
  }
  return text;
}

/** Removes anything that looks like a credential, in case a server echoes one back. */
function scrub(text: string): string {
  return text.replace(/(Bearer|Basic)\s+[^\s"',;]+/gi, '$1 [redacted]').replace(/\s+/g, ' ').trim();
}

/** One line saying what went wrong, for logs and status messages. */
export function describeError(err: unknown): string {
  const status = statusCodeOf(err);
  let text: string;
  if (err instanceof ApiException && status !== undefined) {
    // Prefer the Status body's message; some codes (401) come with no body, only the message's
    // "Message: <reason>" line.
    const fromMessage = /\nMessage: ([^\n]*)/.exec(err.message)?.[1];
    const detail = statusMessage(field(err, 'body')) ?? fromMessage;
    text = `HTTP ${status}${detail ? `: ${detail}` : ''}`;
  } else {
    const name = field(err, 'name');
    const message = field(err, 'message');
    const base = typeof message === 'string' && message ? message : String(err);
    const cause = causeText(err);
    text = status !== undefined && !base.includes(String(status)) ? `HTTP ${status}: ${base}` : base;
    if (name === 'TimeoutError' && !/time/i.test(text)) text = `timed out: ${text}`;
    if (cause && !text.includes(cause)) text = `${text}: ${cause}`;
  }
  return scrub(text).slice(0, 300);
}

/** A write refused because this replica is not (or no longer) allowed to write. */
export class NotLeaderError extends Error {
  constructor(what: string) {
    super(`not writing ${what}: this replica is not the leader`);
    this.name = 'NotLeaderError';
  }
}

// spec.healthCheck with its defaults applied. The defaults live here and not in the CRD schema,
// so the API server never writes them into admins' objects.
import type { HealthCheck } from '../api/schema.js';
import { normaliseName } from '../core/names.js';

export type ProbeProtocol = 'http' | 'https' | 'tcp';

/** An inclusive range of HTTP status codes; a single code has from === to. */
export interface StatusRange {
  from: number;
  to: number;
}

export interface ResolvedHealthCheck {
  protocol: ProbeProtocol;
  port: number;
  path: string;
  /** Host header and TLS server name; undefined: the record's host, else the address. */
  host?: string;
  expectedStatus: StatusRange[];
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
  insecureSkipVerify: boolean;
}

const HEALTH_CHECK_DEFAULTS = {
  protocol: 'http' as ProbeProtocol,
  path: '/',
  expectedStatus: ['200-399'],
  intervalSeconds: 5,
  timeoutSeconds: 3,
  failureThreshold: 3,
  successThreshold: 2,
} as const;

export function defaultPort(protocol: ProbeProtocol): number {
  return protocol === 'https' ? 443 : 80;
}

/** "200" → {200,200}; "200-399" → {200,399}; a reversed range is put in order. Throws on anything else. */
export function parseStatusRange(text: string): StatusRange {
  const m = /^\s*([1-5]\d\d)\s*(?:-\s*([1-5]\d\d))?\s*$/.exec(text);
  if (!m?.[1]) throw new Error(`not an HTTP status code or range: "${text}"`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return { from: Math.min(from, to), to: Math.max(from, to) };
}

export function statusAccepted(code: number, ranges: StatusRange[]): boolean {
  return ranges.some((r) => code >= r.from && code <= r.to);
}

export function describeStatusRanges(ranges: StatusRange[]): string {
  return ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)).join(', ');
}

/** The check with every default applied; the timeout never exceeds the interval, so probes never overlap. */
export function resolveHealthCheck(check: HealthCheck): ResolvedHealthCheck {
  const d = HEALTH_CHECK_DEFAULTS;
  const protocol = check.protocol ?? d.protocol;
  const intervalMs = (check.intervalSeconds ?? d.intervalSeconds) * 1000;
  const timeoutMs = Math.min((check.timeoutSeconds ?? d.timeoutSeconds) * 1000, intervalMs);
  return {
    protocol,
    port: check.port ?? defaultPort(protocol),
    path: check.path ?? d.path,
    ...(check.host === undefined ? {} : { host: check.host }),
    expectedStatus: (check.expectedStatus ?? d.expectedStatus).map(parseStatusRange),
    intervalMs,
    timeoutMs,
    failureThreshold: check.failureThreshold ?? d.failureThreshold,
    successThreshold: check.successThreshold ?? d.successThreshold,
    insecureSkipVerify: check.insecureSkipVerify ?? false,
  };
}

/** Printable ASCII without space: what an HTTP request line can carry unescaped. */
const PROBE_PATH_PATTERN = '^/[!-~]*$';

/**
 * Problems with a record's spec.healthCheck that the schema cannot see: the Host header (and
 * TLS server name) must be one of the record's own names, so a record cannot make the
 * controller present another tenant's name to its load balancer; and the probe must be one
 * that can be built. `names` are the record's names, lower-case without a trailing dot.
 */
export function healthCheckProblems(check: HealthCheck, names: readonly string[]): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (check.host !== undefined) {
    const host = normaliseName(check.host);
    if (!names.includes(host)) {
      const own = names.length > 0 ? names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '') : 'none yet';
      problems.push({ path: 'spec.healthCheck.host', message: `"${check.host}" is not one of the record's own names (${own})` });
    }
  }
  if (check.path !== undefined && !new RegExp(PROBE_PATH_PATTERN).test(check.path)) {
    problems.push({ path: 'spec.healthCheck.path', message: `${JSON.stringify(check.path)} cannot be sent: spaces and control characters must be percent-encoded` });
  }
  try {
    resolveHealthCheck(check);
  } catch (err) {
    problems.push({ path: 'spec.healthCheck', message: (err as Error).message });
  }
  return problems;
}

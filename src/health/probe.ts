// One active probe of one load-balancer address: an HTTP(S) GET or a TCP connect, bounded by a
// timeout. A fresh connection every time (no keep-alive agent), because a pooled connection can
// outlive the listener it came from and hide a failure.
//
// Error texts are classified outcomes ("timed out after 3000 ms", "connection refused",
// "HTTP 5xx (expected 200-399)", "TLS: certificate not trusted"), never a response body, an exact
// foreign status code or a raw socket message: they reach status.health, which the tenant who
// wrote the record reads, and anything finer would make the probe an oracle of what answers
// where in the controller's network. They are also stable, so the status is not rewritten on
// every probe. The exact status code stays in the outcome, for logs and metrics.
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, connect } from 'node:net';
import { rootCertificates } from 'node:tls';
import { describeStatusRanges, defaultPort, statusAccepted, type ProbeProtocol, type StatusRange } from './spec.js';

export interface ProbeRequest {
  /** IP address or hostname to connect to. */
  address: string;
  protocol: ProbeProtocol;
  port: number;
  path: string;
  /** Host header and TLS server name; undefined: the address. */
  hostHeader?: string;
  expectedStatus: StatusRange[];
  timeoutMs: number;
  /** What is left of timeoutMs for the connection (a lookup spent the rest); absent: all of it. */
  budgetMs?: number;
  insecureSkipVerify: boolean;
}

export interface ProbeOutcome {
  ok: boolean;
  error?: string;
  statusCode?: number;
  durationMs: number;
}

export interface ProbeOptions {
  /** Extra trusted CA certificates (PEM) for https probes, beside the system roots. */
  ca?: string[];
}

const USER_AGENT = 'mcdns-health-probe';

export async function runProbe(req: ProbeRequest, opts: ProbeOptions = {}): Promise<ProbeOutcome> {
  const started = performance.now();
  try {
    return await (req.protocol === 'tcp' ? tcpProbe(req) : httpProbe(req, opts));
  } catch {
    // Node refuses to build some requests (a path or header it cannot send): that is a failed
    // probe, reported as such, never an exception that stops the probe's schedule.
    return { ok: false, error: 'probe could not be sent (invalid request)', durationMs: performance.now() - started };
  }
}

/** Settles once; whatever happens after the first outcome (late errors, the timer) is ignored. */
function settler(resolve: (o: ProbeOutcome) => void, cleanup: () => void) {
  const started = performance.now();
  let done = false;
  return (ok: boolean, error?: string, statusCode?: number): void => {
    if (done) return;
    done = true;
    cleanup();
    const outcome: ProbeOutcome = { ok, durationMs: performance.now() - started };
    if (error !== undefined) outcome.error = error;
    if (statusCode !== undefined) outcome.statusCode = statusCode;
    resolve(outcome);
  };
}

function tcpProbe(req: ProbeRequest): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: req.address, port: req.port });
    const timer = setTimeout(() => finish(false, `timed out after ${req.timeoutMs} ms`), req.budgetMs ?? req.timeoutMs);
    const finish = settler(resolve, () => {
      clearTimeout(timer);
      socket.destroy();
    });
    socket.once('connect', () => finish(true));
    socket.once('error', (err) => finish(false, probeFailure(err, req)));
  });
}

function httpProbe(req: ProbeRequest, opts: ProbeOptions): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const secure = req.protocol === 'https';
    const serverName = hostOnly(req.hostHeader ?? req.address);
    const options: https.RequestOptions = {
      host: req.address,
      port: req.port,
      path: req.path,
      method: 'GET',
      agent: false,
      headers: { Host: hostHeader(req), 'User-Agent': USER_AGENT, Accept: '*/*', Connection: 'close' },
    };
    if (secure) {
      // An IP is no TLS server name (RFC 6066 §3); the certificate is then checked against the IP.
      options.servername = isIP(serverName) ? '' : serverName;
      options.rejectUnauthorized = !req.insecureSkipVerify;
      // `ca` replaces the system roots, so the extra ones are added to them.
      if (opts.ca && opts.ca.length > 0) options.ca = [...rootCertificates, ...opts.ca];
    }
    const request = (secure ? https : http).request(options, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      if (statusAccepted(code, req.expectedStatus)) finish(true, undefined, code);
      else finish(false, `HTTP ${statusClass(code)} (expected ${describeStatusRanges(req.expectedStatus)})`, code);
    });
    const timer = setTimeout(() => finish(false, `timed out after ${req.timeoutMs} ms`), req.budgetMs ?? req.timeoutMs);
    const finish = settler(resolve, () => {
      clearTimeout(timer);
      request.destroy();
    });
    request.on('error', (err) => finish(false, probeFailure(err, req)));
    request.end();
  });
}

/** The Host header: the configured name, else the address; the port only when not the default. */
function hostHeader(req: ProbeRequest): string {
  const name = req.hostHeader ?? req.address;
  const literal = isIP(name) === 6 ? `[${name}]` : name;
  return req.port === defaultPort(req.protocol) ? literal : `${literal}:${req.port}`;
}

function hostOnly(name: string): string {
  return name.replace(/^\[(.*)\]$/, '$1');
}

/** 404 → "4xx": the class says what a tenant needs (wrong path, server error) and no more. */
function statusClass(code: number): string {
  return code >= 100 && code <= 599 ? `${Math.floor(code / 100)}xx` : 'invalid status';
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** A short, stable, classified description of a connection or TLS error (see the top of this file). */
export function probeFailure(err: Error & { code?: string }, req: Pick<ProbeRequest, 'address'>): string {
  const code = err.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ENODATA':
      return `cannot resolve ${req.address}`;
    case 'CERT_HAS_EXPIRED':
      return 'TLS: certificate expired';
    case 'CERT_NOT_YET_VALID':
      return 'TLS: certificate not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'TLS: certificate does not match the host name';
    default:
      break;
  }
  if (UNTRUSTED.has(code)) return 'TLS: certificate not trusted';
  if (/CERT|SSL|TLS|SIGNED|ISSUER|LEAF|VERIFY/.test(code)) return 'TLS: handshake failed';
  if (code.startsWith('HPE_')) return 'invalid HTTP response';
  return 'connection failed';
}

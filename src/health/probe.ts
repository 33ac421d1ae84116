// One active probe of one load-balancer address: an HTTP(S) GET or a TCP connect, bounded by a
// timeout. A fresh connection every time (no keep-alive agent), because a pooled connection can
// outlive the listener it came from and hide a failure. Error texts are short and stable
// ("connection refused", "HTTP 503 (expected 200-399)") because they reach status.health, and
// a text that changed on every probe would rewrite the status on every reconcile.
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, connect } from 'node:net';
import { rootCertificates } from 'node:tls';
import { describeError } from '../errors.js';
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

export function runProbe(req: ProbeRequest, opts: ProbeOptions = {}): Promise<ProbeOutcome> {
  return req.protocol === 'tcp' ? tcpProbe(req) : httpProbe(req, opts);
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
    const timer = setTimeout(() => finish(false, `timed out after ${req.timeoutMs} ms`), req.timeoutMs);
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
      else finish(false, `HTTP ${code} (expected ${describeStatusRanges(req.expectedStatus)})`, code);
    });
    const timer = setTimeout(() => finish(false, `timed out after ${req.timeoutMs} ms`), req.timeoutMs);
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

/** What a failed probe says in status: friendlier words for the usual socket and TLS failures. */
export function probeFailure(err: Error & { code?: string }, req: Pick<ProbeRequest, 'address'>): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve ${req.address}`;
    default:
      break;
  }
  if (err.code !== undefined && /CERT|SSL|TLS|SIGNED|ISSUER|LEAF|VERIFY/.test(err.code)) return `TLS: ${err.message}`;
  const text = describeError(err);
  return err.code !== undefined && !text.includes(err.code) ? `${err.code}: ${text}` : text;
}

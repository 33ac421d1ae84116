// The HTTP endpoints a kubelet and a scraper use: /metrics (the registry of metrics.ts),
// /healthz and /readyz, on one configurable address (--metrics-address).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { registry } from './metrics.js';

/** "host:port", ":port" (all interfaces), "[v6]:port"; "0" or "" = no server. */
export function parseListenAddress(address: string): { host?: string; port: number } | undefined {
  const a = address.trim();
  if (a === '' || a === '0') return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(a);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new Error(`not a listen address: "${address}" (use host:port, :port, [v6]:port, or 0 to disable)`);
  }
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

export interface MetricsServerOptions {
  /** As parsed by parseListenAddress. */
  address: string;
  /** /readyz answers 200 while this is true. */
  ready: () => boolean;
  /** Lines /readyz adds to its "ok" or "not ready": what is awaited, what cannot be read. */
  readyDetail?: () => string[];
  /** /healthz answers 200 while this is true (default: always). */
  healthy?: () => boolean;
  logger: Logger;
}

export interface MetricsServer {
  /** The bound address, e.g. 127.0.0.1:8080 (the real port when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

function metricsHandler(opts: Pick<MetricsServerOptions, 'ready' | 'readyDetail' | 'healthy'>): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const text = (code: number, body: string) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed\n');
    if (path === '/healthz' || path === '/livez') return (opts.healthy?.() ?? true) ? text(200, 'ok\n') : text(503, 'unhealthy\n');
    if (path === '/readyz') {
      const ready = opts.ready();
      const detail = (opts.readyDetail?.() ?? []).map((l) => `${l}\n`).join('');
      return ready ? text(200, `ok\n${detail}`) : text(503, `not ready\n${detail || 'caches not synced yet or shutting down\n'}`);
    }
    if (path === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        })
        .catch((err: unknown) => text(500, `metrics: ${(err as Error).message}\n`));
      return;
    }
    text(404, 'not found: try /metrics, /healthz, /readyz\n');
  };
}

/** Starts the server; resolves once it listens (rejects on e.g. EADDRINUSE). */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer | undefined> {
  const listen = parseListenAddress(opts.address);
  if (!listen) return undefined;
  const server = http.createServer(metricsHandler(opts));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: listen.port, host: listen.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const address = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  opts.logger.info('serving /metrics, /healthz and /readyz', { address });
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

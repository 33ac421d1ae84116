// A loopback HTTP proxy that counts what a client asks of a server (e.g. a DNS provider's API):
// requests by method and by path, and the bytes answered. The benchmarks put it between a
// controller and PowerDNS so that provider reads and writes are counted outside the controller.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyCounts {
  requests: number;
  /** GET and HEAD. */
  reads: number;
  /** Everything else (PATCH, POST, PUT, DELETE). */
  writes: number;
  /** By "METHOD path-shape", e.g. "GET /api/v1/servers/localhost/zones/{zone}". */
  byRoute: Record<string, number>;
  /** Response bytes sent back to the client. */
  bytesDown: number;
}

export interface CountingProxy {
  /** http://127.0.0.1:<port>, to give the client instead of the server's URL. */
  url: string;
  counts(): ProxyCounts;
  reset(): void;
  close(): Promise<void>;
}

/** PowerDNS-style paths with the zone replaced, so the routes stay few. */
function routeOf(method: string, url: string): string {
  const path = url.split('?')[0] ?? '';
  return `${method} ${path.replace(/\/zones\/[^/]+/, '/zones/{zone}')}`;
}

const empty = (): ProxyCounts => ({ requests: 0, reads: 0, writes: 0, byRoute: {}, bytesDown: 0 });

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  if (!/^127\./.test(target.hostname)) throw new Error(`counting proxy: upstream ${upstream} is not on 127.0.0.0/8`);
  const agent = new http.Agent({ keepAlive: true });
  let counts = empty();
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    counts.requests++;
    if (method === 'GET' || method === 'HEAD') counts.reads++;
    else counts.writes++;
    const route = routeOf(method, req.url ?? '/');
    counts.byRoute[route] = (counts.byRoute[route] ?? 0) + 1;
    const up = http.request(
      { host: target.hostname, port: target.port, method, path: req.url, headers: req.headers, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.on('data', (c: Buffer) => {
          counts.bytesDown += c.length;
        });
        upRes.pipe(res);
      },
    );
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`counting proxy: ${e.message}\n`);
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => structuredClone(counts),
    reset: () => {
      counts = empty();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

/** b − a, field by field. */
export function diffCounts(a: ProxyCounts, b: ProxyCounts): ProxyCounts {
  const byRoute: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.byRoute)) {
    const d = v - (a.byRoute[k] ?? 0);
    if (d !== 0) byRoute[k] = d;
  }
  return { requests: b.requests - a.requests, reads: b.reads - a.reads, writes: b.writes - a.writes, byRoute, bytesDown: b.bytesDown - a.bytesDown };
}

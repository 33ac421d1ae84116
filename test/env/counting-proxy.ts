// A loopback HTTP proxy that counts what a client asks of a server (e.g. a DNS provider's API):
// requests by method and by path, and the bytes answered. The benchmarks put it between a
// controller and PowerDNS so that provider reads and writes are counted outside the controller.
// The fault-matrix suite also makes it slow (every request held for a while) or down (the port
// refuses connections, open ones are cut), and reads when each write arrived.
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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

/** One request as it arrived at the proxy. */
interface ProxiedRequest {
  /** Date.now() on arrival. */
  at: number;
  /** Date.now() when the answer was sent whole (unset while it is in flight, or if it failed). */
  doneAt?: number;
  method: string;
  route: string;
  write: boolean;
}

export interface CountingProxy {
  /** http://127.0.0.1:<port>, to give the client instead of the server's URL. */
  url: string;
  counts(): ProxyCounts;
  reset(): void;
  /** Every request since start (or the last reset), in arrival order. */
  requests(): ProxiedRequest[];
  /** Writes received whose answer has not been sent yet. */
  writesInFlight(): number;
  /**
   * Holds each request this long before passing it on (0: none). A held request is passed on even
   * if its client has gone meanwhile: what was sent before a crash may still land.
   */
  setDelay(ms: number, opts?: { writesOnly?: boolean }): void;
  /** Down: the port refuses connections and open ones are cut. Up: it listens again on the same port. */
  setDown(down: boolean): Promise<void>;
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
  let log: ProxiedRequest[] = [];
  let inFlight = 0;
  let delay = { ms: 0, writesOnly: false };
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const write = method !== 'GET' && method !== 'HEAD';
    counts.requests++;
    if (write) counts.writes++;
    else counts.reads++;
    const route = routeOf(method, req.url ?? '/');
    counts.byRoute[route] = (counts.byRoute[route] ?? 0) + 1;
    const entry: ProxiedRequest = { at: Date.now(), method, route, write };
    log.push(entry);
    if (write) inFlight++;
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      if (ok) entry.doneAt = Date.now();
      if (write) inFlight--;
    };
    res.on('error', () => undefined);
    const holdMs = delay.ms > 0 && (write || !delay.writesOnly) ? delay.ms : 0;
    // The whole body is read first, so that a held request can still be sent after its client died.
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const forward = (): void => {
        const up = http.request(
          { host: target.hostname, port: target.port, method, path: req.url, headers: req.headers, agent },
          (upRes) => {
            if (!res.destroyed) res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.on('data', (c: Buffer) => {
              counts.bytesDown += c.length;
            });
            upRes.on('end', () => finish(true));
            upRes.pipe(res);
          },
        );
        up.on('error', (e) => {
          finish(false);
          if (res.destroyed) return;
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`counting proxy: ${e.message}\n`);
        });
        up.end(Buffer.concat(body));
      };
      if (holdMs > 0) setTimeout(forward, holdMs);
      else forward();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  let down = false;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => structuredClone(counts),
    reset: () => {
      counts = empty();
      log = [];
    },
    requests: () => log.map((r) => ({ ...r })),
    writesInFlight: () => inFlight,
    setDelay: (ms, opts = {}) => {
      delay = { ms, writesOnly: opts.writesOnly ?? false };
    },
    setDown: async (want) => {
      if (want === down) return;
      down = want;
      if (want) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
      } else {
        await listen(port);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (down) resolve();
        else server.close(() => resolve());
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

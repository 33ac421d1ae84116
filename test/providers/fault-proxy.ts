// A tiny HTTP proxy on 127.0.0.1 in front of a real server (PowerDNS), answering scripted faults
// (5xx, 429 with Retry-After, a request that hangs) for chosen requests and forwarding the rest.
// Real-server fault injection without mocking the client library.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Fault {
  method?: string;
  /** Substring of the path to match. */
  path?: string;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Hold the request this long without answering (a timeout on the client's side). */
  hangMs?: number;
}

export interface FaultProxy {
  url: string;
  /** Requests seen, as "METHOD path [fault status|forwarded status]". */
  log: string[];
  /** The next matching requests get these faults, in order. */
  inject(...faults: Fault[]): void;
  pending(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const faults: Fault[] = [];
  const log: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const index = faults.findIndex((f) => (!f.method || f.method === method) && (!f.path || path.includes(f.path)));
    const fault = index >= 0 ? faults.splice(index, 1)[0] : undefined;
    if (fault?.hangMs !== undefined) {
      log.push(`${method} ${path} hang`);
      const timer = setTimeout(() => res.destroy(), fault.hangMs);
      res.on('close', () => clearTimeout(timer));
      req.resume();
      return;
    }
    if (fault) {
      log.push(`${method} ${path} fault ${fault.status ?? 500}`);
      req.resume();
      res.writeHead(fault.status ?? 500, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? JSON.stringify({ error: 'injected fault' }));
      return;
    }
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method, path, headers: req.headers },
      (up) => {
        log.push(`${method} ${path} forwarded ${up.statusCode ?? 0}`);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    inject: (...f) => void faults.push(...f),
    pending: () => faults.length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

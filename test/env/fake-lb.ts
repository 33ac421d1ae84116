// Fake load balancers for health tests: real HTTP, HTTPS and TCP listeners on 127.0.0.0/8
// addresses (Linux routes all of it to lo), which a test switches between answering, answering
// with an error status and not listening at all. Nothing here connects anywhere.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

export type LbMode = 'ok' | 'error' | 'hang';

export interface SeenRequest {
  host?: string;
  path?: string;
  servername?: string;
}

function assertLoopback(address: string): void {
  if (!/^127\./.test(address)) throw new Error(`fake-lb: ${address} is outside 127.0.0.0/8`);
}

/** One listener on address:port that can go down and come back on the same port. */
export class FakeLoadBalancer {
  mode: LbMode = 'ok';
  /** Status code answered in mode 'error'. */
  errorStatus = 503;
  readonly seen: SeenRequest[] = [];
  /** Requests (or TCP connections) being handled right now, and the most at once. */
  active = 0;
  maxActive = 0;
  /** Delay before answering in mode 'ok', to make probes overlap. */
  delayMs = 0;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly hanging = new Set<http.ServerResponse>();

  constructor(
    readonly address: string,
    public port: number,
    readonly kind: 'http' | 'https' | 'tcp',
    private readonly tls?: { key: string; cert: string },
    /** Alternate ok/error per request (flapping), when set. */
    public alternate = false,
  ) {
    assertLoopback(address);
  }

  get requests(): number {
    return this.seen.length;
  }

  /** Starts listening (again); with port 0 the first start picks a port that later starts reuse. */
  async up(): Promise<void> {
    if (this.server) return;
    const server = this.makeServer();
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.address, port: this.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (typeof addr === 'object' && addr) this.port = addr.port;
    this.server = server;
  }

  /** Stops listening and drops open connections: new probes get "connection refused". */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private makeServer(): net.Server {
    if (this.kind === 'tcp') {
      return net.createServer((socket) => {
        this.seen.push({});
        socket.end();
      });
    }
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const servername = (req.socket as TLSSocket).servername;
      this.seen.push({
        ...(req.headers.host ? { host: req.headers.host } : {}),
        ...(req.url ? { path: req.url } : {}),
        ...(typeof servername === 'string' ? { servername } : {}),
      });
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      res.on('close', () => this.active--);
      const mode = this.alternate ? (this.seen.length % 2 === 1 ? 'ok' : 'error') : this.mode;
      if (mode === 'hang') {
        this.hanging.add(res);
        return;
      }
      const answer = () => res.writeHead(mode === 'ok' ? 200 : this.errorStatus, { 'content-type': 'text/plain' }).end(mode);
      if (this.delayMs > 0) setTimeout(answer, this.delayMs);
      else answer();
    };
    return this.kind === 'https' && this.tls ? https.createServer(this.tls, handler) : http.createServer(handler);
  }
}

/**
 * Fake load balancers on several addresses sharing one port, as a health check probes one port
 * on every address. Retries with a new port if another process holds it on one of the addresses.
 */
export async function startLoadBalancers(
  addresses: string[],
  kind: 'http' | 'https' | 'tcp' = 'http',
  tls?: { key: string; cert: string },
): Promise<FakeLoadBalancer[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = new FakeLoadBalancer(addresses[0] ?? '127.0.0.11', 0, kind, tls);
    await first.up();
    const all = [first];
    try {
      for (const address of addresses.slice(1)) {
        const lb = new FakeLoadBalancer(address, first.port, kind, tls);
        await lb.up();
        all.push(lb);
      }
      return all;
    } catch {
      await Promise.all(all.map((lb) => lb.down()));
    }
  }
  throw new Error(`fake-lb: no port free on all of ${addresses.join(', ')}`);
}

export interface TestPki {
  /** PEM of a CA and of a certificate it signed for web.example.org and 127.0.0.13. */
  caCert: string;
  key: string;
  cert: string;
  /** A self-signed certificate for the same names, with its key. */
  selfSigned: { key: string; cert: string };
}

/** Generates a throw-away CA, a leaf it signed and a self-signed leaf with openssl. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'mcdns-pki-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const san = 'subjectAltName=DNS:web.example.org,IP:127.0.0.13';
  try {
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=mcdns test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    ssl('req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=web.example.org');
    writeFileSync(join(dir, 'leaf.ext'), `${san}\nextendedKeyUsage=serverAuth\n`);
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '2', '-extfile', 'leaf.ext');
    ssl('req', '-x509', ...ec, '-keyout', 'self.key', '-out', 'self.crt', '-days', '2', '-subj', '/CN=web.example.org', '-addext', san);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return {
      caCert: read('ca.crt'),
      key: read('leaf.key'),
      cert: read('leaf.crt'),
      selfSigned: { key: read('self.key'), cert: read('self.crt') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Polls `check` until it returns true; generous by default, because CI machines are slow. */
export async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// A loopback TCP proxy that can cut one client off from a server (e.g. one mcdns replica from
// the host API server) as a network partition would: nothing passes either way on open
// connections, new ones are accepted but never answered, and nothing is refused or reset, so
// the client learns of it only from its own timeouts. TLS passes through untouched.
import * as net from 'node:net';

export interface TcpProxy {
  /** Port on 127.0.0.1 to give the client instead of the server's. */
  port: number;
  /** Stops all traffic, on open connections and new ones, until heal(). */
  cut(): void;
  /** Lets new connections through again; the ones stalled by the cut are closed. */
  heal(): void;
  readonly isCut: boolean;
  close(): Promise<void>;
}

export async function startTcpProxy(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<TcpProxy> {
  if (!/^127\./.test(upstreamHost)) throw new Error(`tcp proxy: upstream ${upstreamHost} is not on 127.0.0.0/8`);
  let isCut = false;
  const pairs = new Set<{ client: net.Socket; upstream?: net.Socket }>();
  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    const pair: { client: net.Socket; upstream?: net.Socket } = { client };
    pairs.add(pair);
    client.on('close', () => {
      pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (isCut) {
      client.pause();
      return;
    }
    const upstream = net.connect({ host: upstreamHost, port: upstreamPort });
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    get isCut() {
      return isCut;
    },
    cut() {
      isCut = true;
      for (const { client, upstream } of pairs) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    heal() {
      isCut = false;
      // Connections stalled by the cut are closed: the client dials again and gets through.
      for (const { client } of [...pairs]) client.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client } of [...pairs]) client.destroy();
        server.close(() => resolve());
      }),
  };
}

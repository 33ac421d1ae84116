// A loopback TCP proxy between a client and a server, for what the network does between them:
//
// - a partition (cut/heal): nothing passes either way on open connections, new ones are accepted
//   but never answered, and nothing is refused or reset, so the client learns of it only from its
//   own timeouts;
// - distance (rttMs): every byte waits half the round trip in each direction, in order;
// - loss (lossPct): TCP hides a lost segment from the application but not its cost. Each
//   direction is cut into segments of SEGMENT_BYTES; with probability lossPct/100 a segment is
//   "lost" and arrives only after a retransmission timeout, and, since TCP delivers in order,
//   everything behind it on that connection waits too (head-of-line blocking). The timeout is
//   Linux's: its 200 ms floor plus the round trip (RFC 6298's srtt + 4·rttvar with a steady
//   round trip is about that).
//
// TLS passes through untouched. Delay and loss can be changed while connections are open
// (shape()); bytes already on their way keep the delay they were given.
import * as net from 'node:net';

/** What the path between client and server does to each byte. */
export interface PathShape {
  /** Round-trip time added by the path (half of it each way); default 0. */
  rttMs?: number;
  /** Segments lost, in percent (each costs a retransmission timeout); default 0. */
  lossPct?: number;
}

export interface TcpProxy {
  /** Port on 127.0.0.1 to give the client instead of the server's. */
  port: number;
  /** Stops all traffic, on open connections and new ones, until heal(). */
  cut(): void;
  /** Lets new connections through again; the ones stalled by the cut are closed. */
  heal(): void;
  readonly isCut: boolean;
  /** Changes the delay and loss from now on (for bytes not yet on their way). */
  shape(shape: PathShape): void;
  readonly pathShape: Required<PathShape>;
  /** Segments delayed as lost so far, both directions (to report the loss a run really had). */
  readonly segmentsLost: number;
  /** Connections the client opened through the proxy so far. */
  readonly connectionsAccepted: number;
  close(): Promise<void>;
}

/** A typical Ethernet TCP segment's payload. */
const SEGMENT_BYTES = 1460;
/** Linux's minimum retransmission timeout (TCP_RTO_MIN). */
const RTO_MIN_MS = 200;

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  /** Delivery timers not yet run, both directions; cleared when the pair is cut or closed. */
  timers: Set<NodeJS.Timeout>;
}

export async function startTcpProxy(upstreamPort: number, upstreamHost = '127.0.0.1', initial: PathShape = {}): Promise<TcpProxy> {
  if (!/^127\./.test(upstreamHost)) throw new Error(`tcp proxy: upstream ${upstreamHost} is not on 127.0.0.0/8`);
  let isCut = false;
  let shape = checked(initial);
  let segmentsLost = 0;
  let connectionsAccepted = 0;
  const pairs = new Set<Pair>();

  /** Segments of a chunk of `bytes` lost on the way, drawn one by one. */
  const lostIn = (bytes: number): number => {
    if (shape.lossPct <= 0) return 0;
    let lost = 0;
    for (let n = Math.ceil(bytes / SEGMENT_BYTES); n > 0; n--) if (Math.random() * 100 < shape.lossPct) lost++;
    return lost;
  };

  /**
   * Forwards `from` to `to` with the path's delay and loss, in order. Without either, bytes go
   * straight through. Backpressure: `from` is paused while `to` cannot take more.
   */
  const forward = (pair: Pair, from: net.Socket, to: net.Socket): void => {
    let lastDue = 0;
    from.on('data', (chunk: Buffer) => {
      if (isCut) return;
      const lost = lostIn(chunk.length);
      segmentsLost += lost;
      const wait = shape.rttMs / 2 + (lost > 0 ? RTO_MIN_MS + shape.rttMs : 0);
      if (wait <= 0 && lastDue <= Date.now()) {
        if (!to.write(chunk)) from.pause();
        return;
      }
      // In order: never before the chunk ahead of it.
      const due = Math.max(Date.now() + wait, lastDue);
      lastDue = due;
      const timer = setTimeout(() => {
        pair.timers.delete(timer);
        if (isCut || to.destroyed) return;
        if (!to.write(chunk)) from.pause();
      }, due - Date.now());
      pair.timers.add(timer);
    });
    to.on('drain', () => from.resume());
    from.on('end', () => {
      const timer = setTimeout(() => to.end(), Math.max(0, lastDue - Date.now()));
      pair.timers.add(timer);
    });
  };

  const stop = (pair: Pair): void => {
    for (const t of pair.timers) clearTimeout(t);
    pair.timers.clear();
  };

  const server = net.createServer((client) => {
    connectionsAccepted++;
    client.on('error', () => undefined);
    // No Nagle on either side: the proxy must add only the path's delay, not 40 ms delayed ACKs.
    client.setNoDelay(true);
    const pair: Pair = { client, timers: new Set() };
    pairs.add(pair);
    client.on('close', () => {
      pairs.delete(pair);
      stop(pair);
      pair.upstream?.destroy();
    });
    if (isCut) {
      client.pause();
      return;
    }
    const upstream = net.connect({ host: upstreamHost, port: upstreamPort });
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    forward(pair, client, upstream);
    forward(pair, upstream, client);
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
    get pathShape() {
      return { ...shape };
    },
    get segmentsLost() {
      return segmentsLost;
    },
    get connectionsAccepted() {
      return connectionsAccepted;
    },
    shape(next) {
      shape = checked(next);
    },
    cut() {
      isCut = true;
      for (const pair of pairs) {
        stop(pair);
        pair.client.pause();
        pair.upstream?.pause();
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

function checked(s: PathShape): Required<PathShape> {
  const rttMs = s.rttMs ?? 0;
  const lossPct = s.lossPct ?? 0;
  if (!(rttMs >= 0) || !Number.isFinite(rttMs)) throw new Error(`tcp proxy: round trip ${rttMs} ms is not a duration`);
  if (!(lossPct >= 0 && lossPct < 100)) throw new Error(`tcp proxy: loss ${lossPct} % is not between 0 and 100`);
  return { rttMs, lossPct };
}

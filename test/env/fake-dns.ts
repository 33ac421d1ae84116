// A DNS server on 127.0.0.1 (UDP) for probe targets whose names must resolve, fail or hang: the
// upstream resolver of the controller's probes, with the faults no real server can be told to
// make (a name that is never answered). Answers A and AAAA queries from a table; a name marked
// 'hang' gets no reply at all; any other name is NXDOMAIN. Counts the queries it got per name.
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';

export type FakeDnsAnswer = string[] | 'hang';

export interface FakeDns {
  /** host:port, as node:dns setServers takes it. */
  server: string;
  names: Map<string, FakeDnsAnswer>;
  queries: Map<string, number>;
  stop(): Promise<void>;
}

/** The question of a query: its name (lower case, no trailing dot) and type. */
function question(msg: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let i = 12;
  for (let len = msg[i] ?? 0; len > 0; len = msg[i] ?? 0) {
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += len + 1;
  }
  const end = i + 5; // zero byte, type, class
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(i + 1), end };
}

function answer(query: Buffer, addresses: string[] | undefined, type: number, end: number): Buffer {
  const records = (addresses ?? []).filter((a) => isIP(a) === (type === 28 ? 6 : 4));
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(addresses === undefined ? 0x8183 : 0x8180, 2); // response, RD+RA, NXDOMAIN or NOERROR
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const rrs = records.map((a) => {
    const rdata = type === 28 ? ipv6Bytes(a) : Buffer.from(a.split('.').map(Number));
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the name of the question
    rr.writeUInt16BE(type, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(5, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, end), ...rrs]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export async function startFakeDns(names: Record<string, FakeDnsAnswer> = {}): Promise<FakeDns> {
  const socket: Socket = createSocket('udp4');
  const table = new Map(Object.entries(names));
  const queries = new Map<string, number>();
  socket.on('message', (msg, from) => {
    if (msg.length < 17) return;
    const q = question(msg);
    queries.set(q.name, (queries.get(q.name) ?? 0) + 1);
    const known = table.get(q.name);
    if (known === 'hang') return;
    socket.send(answer(msg, known, q.type, q.end), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    names: table,
    queries,
    stop: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

// How mcdns reaches each member's API server in a scale run: straight, as the bed wires it; or
// through a TCP proxy that adds the round trip and loss of a far member (--member-rtt); and,
// when several members share one real API server (--api-servers below --clusters), through a
// namespace proxy that makes each of them a set of objects of its own (namespace-proxy.ts). The
// result is a kubeconfig for mcdns: the host as the bed has it, each member through its path.
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type { Bed } from '../../env/bed.js';
import { writeKubeconfig, type KubeconfigCluster } from '../../env/kube.js';
import { startTcpProxy, type TcpProxy } from '../../env/tcp-proxy.js';
import { startNamespaceProxy, type NamespaceProxy } from './namespace-proxy.js';
import type { Placement } from './variants.js';

export interface MemberPaths {
  /** The kubeconfig mcdns is given (host + members, context = cluster name). */
  kubeconfigPath: string;
  /** Each member as that kubeconfig has it (server URL through its path, token, CA). */
  members: KubeconfigCluster[];
  /** TCP segments the far-member proxies delayed as lost, in all. */
  segmentsLost(): number;
  close(): Promise<void>;
}

/**
 * `servers[s]`: the bed's cluster name of real API server s. `shown`: the fleet's namespace as
 * every member must see it. Writes the kubeconfig into `dir`.
 */
export async function startMemberPaths(
  bed: Bed,
  servers: string[],
  placements: Placement[],
  shape: { rttMs: number; lossPct: number },
  shown: string,
  dir: string,
): Promise<MemberPaths> {
  const tcp: TcpProxy[] = [];
  const nsProxies: NamespaceProxy[] = [];
  const close = async () => {
    await Promise.all([...tcp.map((p) => p.close()), ...nsProxies.map((p) => p.close())]);
  };
  try {
    const host = bed.apiServer(bed.host);
    const clusters: KubeconfigCluster[] = [{ name: bed.host, server: host.url, token: host.token, caPem: host.caPem }];
    for (const p of placements) {
      const server = bed.apiServer(servers[p.server]!);
      let entry: KubeconfigCluster = { name: p.member, server: server.url, token: server.token, caPem: server.caPem };
      let port = server.port;
      if (p.namespace !== shown) {
        const others = placements.filter((o) => o.server === p.server && o.member !== p.member).map((o) => o.namespace);
        const proxy = await startNamespaceProxy(server, p.namespace, others, shown);
        nsProxies.push(proxy);
        port = proxy.port;
        // Plain HTTP to the proxy, which holds the server's token: the member's credentials are its.
        entry = { name: p.member, server: proxy.url, token: 'through-the-namespace-proxy' };
      }
      if (shape.rttMs > 0 || shape.lossPct > 0) {
        const far = await startTcpProxy(port, '127.0.0.1', shape);
        tcp.push(far);
        entry = { ...entry, server: entry.server.replace(/:\d+$/, `:${far.port}`) };
      }
      clusters.push(entry);
    }
    const kubeconfigPath = path.join(dir, 'kubeconfig-mcdns');
    writeKubeconfig(kubeconfigPath, clusters, bed.host);
    return { kubeconfigPath, members: clusters.slice(1), segmentsLost: () => tcp.reduce((a, p) => a + p.segmentsLost, 0), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The collections mcdns lists and watches in every member (src/observe/member.ts). */
const MEMBER_COLLECTIONS = ['/apis/networking.k8s.io/v1/ingresses', '/api/v1/services', '/apis/discovery.k8s.io/v1/endpointslices', '/api/v1/nodes'];

/**
 * The member list floor: a bare client lists what mcdns lists at start — every collection of
 * every member, all at once, each in pages of 500 one after the other, as an informer does —
 * through the members' paths. Seconds until the last page arrived: what a cold start cannot
 * beat, whatever the controller, over that round trip.
 */
export async function memberListFloorS(members: KubeconfigCluster[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(members.flatMap((m) => MEMBER_COLLECTIONS.map((c) => listAll(m, c))));
  return Math.round((performance.now() - t0) / 100) / 10;
}

async function listAll(member: KubeconfigCluster, collection: string): Promise<void> {
  const agent = member.server.startsWith('https:') ? new https.Agent({ keepAlive: true, ca: member.caPem }) : new http.Agent({ keepAlive: true });
  try {
    let cont = '';
    do {
      const page = JSON.parse(await get(member, `${collection}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, agent)) as { metadata?: { continue?: string } };
      cont = page.metadata?.continue ?? '';
    } while (cont);
  } finally {
    agent.destroy();
  }
}

function get(member: KubeconfigCluster, path: string, agent: http.Agent): Promise<string> {
  const request = member.server.startsWith('https:') ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(`${member.server}${path}`, { agent, headers: { authorization: `Bearer ${member.token}`, accept: 'application/json' }, timeout: 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${member.name} GET ${path}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${member.name} GET ${path}: no answer within 120 s`)));
    req.on('error', reject);
    req.end();
  });
}

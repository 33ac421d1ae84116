// How mcdns reaches each member's API server in a scale run: straight, as the bed wires it; or
// through a TCP proxy that adds the round trip and loss of a far member (--member-rtt); and,
// when several members share one real API server (--api-servers below --clusters), through a
// namespace proxy that makes each of them a set of objects of its own (namespace-proxy.ts). The
// result is a kubeconfig for mcdns: the host as the bed has it, each member through its path.
import * as path from 'node:path';
import type { Bed } from '../../env/bed.js';
import { writeKubeconfig, type KubeconfigCluster } from '../../env/kube.js';
import { startTcpProxy, type TcpProxy } from '../../env/tcp-proxy.js';
import { startNamespaceProxy, type NamespaceProxy } from './namespace-proxy.js';
import type { Placement } from './variants.js';

export interface MemberPaths {
  /** The kubeconfig mcdns is given (host + members, context = cluster name). */
  kubeconfigPath: string;
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
    return { kubeconfigPath, segmentsLost: () => tcp.reduce((a, p) => a + p.segmentsLost, 0), close };
  } catch (e) {
    await close();
    throw e;
  }
}

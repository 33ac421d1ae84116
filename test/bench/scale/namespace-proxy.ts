// One member cluster out of several kept on one real kube-apiserver: an HTTP proxy in front of
// the server that shows the member its own namespace (bench-m7) as the fleet's (bench), hides the
// namespaces of the other members on that server, and passes everything else through (the
// unrelated workloads, which the members of a server share). mcdns talks plain HTTP to it; it
// talks HTTPS to the API server with the server's token. Everything on 127.0.0.1.
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ApiServerHandle } from '../../env/apiserver.js';
import { StreamReplacer } from './stream-replace.js';

export interface NamespaceProxy {
  /** http://127.0.0.1:<port>: the member's API server, for mcdns's kubeconfig. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Namespaced kinds whose cluster-wide lists and watches must not show other members' namespaces. */
const NAMESPACED = new Set(['ingresses', 'services', 'endpointslices', 'endpoints', 'pods', 'events', 'configmaps']);

/**
 * The request path as the real server must see it: `shown` → `own` in a namespaced path, and a
 * cluster-wide collection of a namespaced kind with the other members' namespaces selected out.
 */
export function upstreamPath(path: string, own: string, others: readonly string[], shown: string): string {
  const [pathname = '', query] = path.split('?', 2) as [string, string?];
  const rewritten = pathname.replace(new RegExp(`/namespaces/${shown}(?=/|$)`), `/namespaces/${own}`);
  const resource = pathname.split('/').filter(Boolean).at(-1) ?? '';
  if (pathname.includes('/namespaces/') || !NAMESPACED.has(resource) || others.length === 0) return query !== undefined ? `${rewritten}?${query}` : rewritten;
  const params = new URLSearchParams(query);
  const given = params.get('fieldSelector');
  params.set('fieldSelector', [...(given ? [given] : []), ...others.map((ns) => `metadata.namespace!=${ns}`)].join(','));
  return `${rewritten}?${params.toString()}`;
}

export async function startNamespaceProxy(
  server: Pick<ApiServerHandle, 'port' | 'token' | 'caPem'>,
  own: string,
  others: readonly string[],
  shown: string,
): Promise<NamespaceProxy> {
  const agent = new https.Agent({ keepAlive: true, ca: server.caPem });
  const proxy = http.createServer((req, res) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!['host', 'authorization', 'accept-encoding', 'connection', 'keep-alive'].includes(k)) headers[k] = v;
    }
    headers['authorization'] = `Bearer ${server.token}`;
    const up = https.request(
      { host: '127.0.0.1', port: server.port, method: req.method, path: upstreamPath(req.url ?? '/', own, others, shown), headers, agent },
      (upRes) => {
        const out: http.OutgoingHttpHeaders = { ...upRes.headers };
        delete out['content-length']; // the answer changes length
        res.writeHead(upRes.statusCode ?? 502, out);
        const replacer = new StreamReplacer(`"namespace":"${own}"`, `"namespace":"${shown}"`);
        upRes.on('data', (c: Buffer) => {
          if (!res.write(replacer.push(c))) upRes.pause();
        });
        res.on('drain', () => upRes.resume());
        upRes.on('end', () => res.end(replacer.end()));
        upRes.on('error', () => res.destroy());
      },
    );
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`namespace proxy: ${e.message}\n`);
    });
    // A watch ends when its client goes: so does the request to the server.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
  proxy.keepAliveTimeout = 30_000;
  proxy.requestTimeout = 0; // watches stay open
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
        agent.destroy();
      }),
  };
}

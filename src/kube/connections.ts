// One keep-alive connection pool per cluster.
//
// client-node 2.x builds a new undici Agent (KubeConfig.createDispatcher) for every request it
// authenticates when the cluster has TLS settings (a CA, a client certificate): each list,
// watch, heartbeat and write then opens its own TCP+TLS connection and leaves it to idle out.
// At fleet scale that is thousands of sockets (EMFILE) and a TLS handshake per request. Here
// the KubeConfig keeps the dispatcher it made and hands it out again while the TLS material is
// the same; when it changes (a rotated client certificate) a new one is made and the old one
// closes once its requests have finished.
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';

type CreateDispatcher = (cluster: unknown, agentOptions: Record<string, unknown>) => unknown;
interface Closable {
  close?: () => Promise<void>;
}

const SHARED = Symbol('mcdns.sharedConnections');

/** A digest of the options a dispatcher is built from (TLS material included, never logged). */
function fingerprint(cluster: unknown, agentOptions: Record<string, unknown>): string {
  const h = createHash('sha256');
  const c = (cluster ?? {}) as { name?: unknown; server?: unknown; proxyUrl?: unknown };
  h.update(JSON.stringify([c.name, c.server, c.proxyUrl]));
  for (const k of Object.keys(agentOptions).sort()) {
    const v = agentOptions[k];
    if (v === undefined) continue;
    h.update(`\0${k}=`);
    if (Buffer.isBuffer(v) || typeof v === 'string') h.update(v);
    else if (Array.isArray(v)) for (const x of v) h.update(Buffer.isBuffer(x) || typeof x === 'string' ? x : JSON.stringify(x));
    else h.update(JSON.stringify(v));
  }
  return h.digest('hex');
}

/**
 * Makes `kc` reuse one dispatcher (connection pool) for all its requests; returns `kc`.
 * Idempotent. Without TLS settings client-node uses undici's global pool, which is shared
 * already.
 */
export function shareConnections(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createDispatcher?: CreateDispatcher; [SHARED]?: true };
  if (target[SHARED] || typeof target.createDispatcher !== 'function') return kc;
  const create = target.createDispatcher.bind(kc);
  let current: { key: string; dispatcher: unknown } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const k = fingerprint(cluster, agentOptions);
    if (current?.key === k) return current.dispatcher;
    const previous = current?.dispatcher as Closable | undefined;
    const dispatcher = create(cluster, agentOptions);
    current = { key: k, dispatcher };
    // close() lets requests in flight (open watches included) finish first.
    void previous?.close?.().catch(() => undefined);
    return dispatcher;
  };
  target[SHARED] = true;
  return kc;
}

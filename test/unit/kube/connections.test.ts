import { expect } from 'chai';
import { KubeConfig, RequestContext, HttpMethod } from '@kubernetes/client-node';
import { shareConnections } from '../../../src/kube/connections.js';

/** A kubeconfig whose cluster has TLS settings: client-node then builds its own dispatcher. */
function tlsKubeConfig(ca: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: Buffer.from(ca).toString('base64') }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

async function dispatcherOf(kc: KubeConfig): Promise<unknown> {
  const ctx = new RequestContext('https://127.0.0.1:6443/readyz', HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getDispatcher();
}

describe('one connection pool per cluster', () => {
  it('client-node alone builds a new dispatcher (a new connection) for every request', async () => {
    const kc = tlsKubeConfig('ca-1');
    expect(await dispatcherOf(kc)).not.to.equal(await dispatcherOf(kc));
  });

  it('a shared KubeConfig hands out the same dispatcher while its TLS settings stay the same, and a new one when they change', async () => {
    const kc = shareConnections(tlsKubeConfig('ca-1'));
    expect(shareConnections(kc), 'idempotent').to.equal(kc);
    const first = await dispatcherOf(kc);
    expect(first).to.not.equal(undefined);
    expect(await dispatcherOf(kc)).to.equal(first);
    kc.clusters[0] = { ...kc.clusters[0]!, caData: Buffer.from('ca-2').toString('base64') };
    const rotated = await dispatcherOf(kc);
    expect(rotated).not.to.equal(first);
    expect(await dispatcherOf(kc)).to.equal(rotated);
  });
});

// The health-check SSRF scenario on the real sandbox, with the controller's DEFAULT probe policy
// (no --probe-allow-cidrs): a tenant's Ingress reports `localhost` as its load balancer and asks
// for a health check on the PowerDNS API port; another reports a loopback IP. Neither is probed,
// neither is published, and the status says why in classified words only. A record without a
// health check is not probed at all, so the policy leaves it alone.
import { expect } from 'chai';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { DNSEndpoint, IngressDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { ALLOW_LOOPBACK_PROBES, bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress } from '../env/workloads.js';
import { startLoadBalancers, type FakeLoadBalancer } from '../env/fake-lb.js';

const NS = 'tenant';

describe('end to end: the default probe policy refuses loopback targets (SSRF)', function () {
  this.timeout(300_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  let lb: FakeLoadBalancer;
  const custom = () => bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
  const record = async (name: string) =>
    (await custom().getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name,
    })) as IngressDNSRecord;
  const dnsEndpoint = async (name: string) =>
    (await custom().getNamespacedCustomObject({
      group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: NS, plural: 'dnsendpoints', name: `ingress-${name}`,
    })) as DNSEndpoint;
  const recordYaml = (name: string, host: string, healthCheck: string) => `
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: IngressDNSRecord
metadata: {name: ${name}, namespace: ${NS}}
spec:
  hosts: [${host}]
  recordTTL: 5
${healthCheck}`;

  before(async () => {
    [lb] = (await startLoadBalancers(['127.0.0.31'])) as [FakeLoadBalancer];
    bed = await startBed({ members: ['member1'] });
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await installMcdnsCrds((m) => bed.apply('host', m));
    const member = bed.kubeConfig('member1');
    await putIngress(member, NS, 'ssrf', ['ssrf.example.org'], ['localhost']);
    await putIngress(member, NS, 'loop', ['loop.example.org'], ['127.0.0.31']);
    await putIngress(member, NS, 'plain', ['plain.example.org'], ['127.0.0.32']);
    // The default policy: the bed's usual loopback allowance is left out on purpose.
    mcdns = startMcdns([...bedFlags(bed).filter((f) => f !== ALLOW_LOOPBACK_PROBES), '--heartbeat-interval=1s', '--log-level=debug']);
    const pdnsApiPort = new URL(bed.powerdns!.apiUrl).port;
    await bed.apply('host', recordYaml('ssrf', 'ssrf.example.org', `  healthCheck: {port: ${pdnsApiPort}, path: /api/v1/servers, intervalSeconds: 1}`));
    await bed.apply('host', recordYaml('loop', 'loop.example.org', `  healthCheck: {port: ${lb.port}, path: /healthz, intervalSeconds: 1}`));
    await bed.apply('host', recordYaml('plain', 'plain.example.org', ''));
  });

  tearDownSuite(() => ({ mcdns, bed, lbs: [lb] }));

  it('publishes a record without a health check as before (nothing is probed for it)', async () => {
    await eventually('A plain.example.org', () => bed.powerdns!.query('plain.example.org', 'A'), (a) => a.join() === '127.0.0.32', 120_000);
  });

  it('refuses to probe a hostname that resolves to loopback, publishes nothing for it, and says why without any answer of the target', async () => {
    const r = await eventually('ssrf target refused in status', () => record('ssrf'), (x) => (x.status?.health?.targets?.length ?? 0) > 0);
    expect(r.status?.health?.targets).to.deep.equal([
      {
        target: 'localhost', cluster: 'member1', healthy: false, published: false,
        since: r.status?.health?.targets?.[0]?.since, lastError: 'probe refused: localhost resolves to a loopback address',
      },
    ]);
    expect(r.status?.conditions?.[0]).to.include({ status: 'False' });
    expect(r.status?.conditions?.[0]?.message).to.contain('member1: localhost not published: probe refused: localhost resolves to a loopback address');
    expect(r.status?.conditions?.[0]?.message).to.not.match(/401|Unauthorized/);
    expect((await dnsEndpoint('ssrf')).spec.endpoints ?? []).to.deep.equal([]);
    expect(await bed.powerdns!.query('ssrf.example.org', 'CNAME')).to.deep.equal([]);
  });

  it('refuses a loopback IP target without ever connecting to it', async () => {
    const r = await eventually('loop target refused', () => record('loop'), (x) => x.status?.health?.targets?.[0]?.lastError !== undefined);
    expect(r.status?.health?.targets?.[0]).to.include({ target: '127.0.0.31', published: false, lastError: 'probe refused: loopback address' });
    expect((await dnsEndpoint('loop')).spec.endpoints ?? []).to.deep.equal([]);
    expect(await bed.powerdns!.query('loop.example.org', 'A')).to.deep.equal([]);
    expect(lb.requests).to.equal(0);
  });
});

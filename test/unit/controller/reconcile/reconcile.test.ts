import { expect } from 'chai';
import winston from 'winston';
import type { DNSRecord, IngressDNSRecord } from '../../../../src/api/schema.js';
import type { ClusterObservation } from '../../../../src/core/observation.js';
import { Reconciler } from '../../../../src/controller/reconcile/reconciler.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import { MemoryHost } from '../host/memory-host.js';

const silent = winston.createLogger({ silent: true });
const key: RecordKey = { kind: 'IngressDNSRecord', namespace: 'fed-namespace', name: 'fed-helloworld-ingress' };
const seedRecord = (): IngressDNSRecord => ({
  apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
  kind: 'IngressDNSRecord',
  metadata: { name: key.name, namespace: key.namespace, uid: 'uid-1', generation: 1 },
  spec: { hosts: ['helloworld.example.org'], recordTTL: 300 },
});
const member = (cluster: string, ip: string): ClusterObservation => ({
  cluster,
  state: 'online',
  zones: [],
  ingresses: [{ namespace: key.namespace, name: key.name, hosts: ['helloworld.example.org'], loadBalancer: [{ ip }] }],
  services: [],
});

function setup() {
  const host = new MemoryHost();
  host.records.set(keyOf(key), seedRecord());
  host.clusters = [member('member1', '127.0.0.11'), member('member2', '127.0.0.12')];
  const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => new Date('2026-11-21T00:00:00Z'));
  return { host, reconciler };
}

describe('reconciling a record', () => {
  it('creates ingress-<name> with both members\' addresses, owned by the record, and marks it Ready', async () => {
    const { host, reconciler } = setup();
    const result = await reconciler.reconcile(key);
    expect(result.dnsEndpoint).to.equal('created');
    const ep = host.dnsEndpoint(key.namespace, 'ingress-fed-helloworld-ingress');
    expect(ep?.apiVersion).to.equal('externaldns.k8s.io/v1alpha1');
    expect(ep?.spec.endpoints).to.deep.equal([
      { dnsName: 'helloworld.example.org', recordType: 'A', targets: ['127.0.0.11', '127.0.0.12'], recordTTL: 300 },
    ]);
    expect(ep?.metadata.ownerReferences?.[0]).to.include({ kind: 'IngressDNSRecord', uid: 'uid-1', controller: true });
    const status = host.record(key)?.status;
    expect(status?.conditions?.[0]).to.include({ type: 'Ready', status: 'True', observedGeneration: 1 });
    expect(status?.dns).to.deep.equal([
      { cluster: 'member1', loadBalancer: { ingress: [{ ip: '127.0.0.11' }] } },
      { cluster: 'member2', loadBalancer: { ingress: [{ ip: '127.0.0.12' }] } },
    ]);
    expect(status?.targets, 'the Targets column of kubectl get').to.deep.equal(['127.0.0.11', '127.0.0.12']);
    expect(host.events, 'a routine first publish records no Event').to.deep.equal([]);
  });

  it('records a Normal Published Event when a record that was not Ready becomes Ready', async () => {
    const { host, reconciler } = setup();
    const good = host.record(key) as IngressDNSRecord;
    host.records.set(keyOf(key), { ...good, spec: { hosts: ['Not A Host'] } });
    await reconciler.reconcile(key);
    const bad = host.record(key) as IngressDNSRecord;
    host.records.set(keyOf(key), { ...bad, metadata: { ...bad.metadata, generation: 2 }, spec: good.spec });
    await reconciler.reconcile(key);
    expect(host.events).to.deep.equal(['Warning InvalidSpec fed-helloworld-ingress', 'Normal Published fed-helloworld-ingress']);
  });

  it('makes zero writes in a steady state', async () => {
    const { host, reconciler } = setup();
    await reconciler.reconcile(key);
    host.writes = [];
    const again = await reconciler.reconcile(key);
    expect(again).to.include({ dnsEndpoint: 'unchanged', status: 'unchanged' });
    expect(host.writes).to.deep.equal([]);
  });

  it('recreates a DNSEndpoint someone deleted (KubeFed #489)', async () => {
    const { host, reconciler } = setup();
    await reconciler.reconcile(key);
    host.endpoints.clear();
    expect((await reconciler.reconcile(key)).dnsEndpoint).to.equal('created');
  });

  it('updates the DNSEndpoint only when an address changes', async () => {
    const { host, reconciler } = setup();
    await reconciler.reconcile(key);
    host.clusters = [member('member1', '127.0.0.11'), member('member2', '127.0.0.13')];
    host.writes = [];
    await reconciler.reconcile(key);
    expect(host.writes).to.deep.equal(['replace ingress-fed-helloworld-ingress', 'status fed-helloworld-ingress']);
    expect(host.dnsEndpoint(key.namespace, 'ingress-fed-helloworld-ingress')?.spec.endpoints?.[0]?.targets).to.deep.equal([
      '127.0.0.11',
      '127.0.0.13',
    ]);
  });

  it('on an invalid spec sets InvalidSpec with the field, records a Warning, and leaves the published DNSEndpoint alone', async () => {
    const { host, reconciler } = setup();
    await reconciler.reconcile(key);
    const published = structuredClone(host.dnsEndpoint(key.namespace, 'ingress-fed-helloworld-ingress'));
    const bad = host.record(key) as IngressDNSRecord;
    host.records.set(keyOf(key), { ...bad, metadata: { ...bad.metadata, generation: 2 }, spec: { hosts: ['Not A Host'] } });
    host.writes = [];
    const result = await reconciler.reconcile(key);
    expect(result.dnsEndpoint).to.equal('skipped');
    expect(host.writes).to.deep.equal(['status fed-helloworld-ingress']);
    expect(host.dnsEndpoint(key.namespace, 'ingress-fed-helloworld-ingress')).to.deep.equal(published);
    const ready = host.record(key)?.status?.conditions?.[0];
    expect(ready).to.include({ status: 'False', reason: 'InvalidSpec', observedGeneration: 2 });
    expect(ready?.message).to.match(/^spec\.hosts\[0\]: "Not A Host" is not valid/);
    expect(host.events).to.include('Warning InvalidSpec fed-helloworld-ingress');
  });

  it('reports an unknown Domain as InvalidSpec naming where it looked', async () => {
    const host = new MemoryHost();
    const sk: RecordKey = { kind: 'ServiceDNSRecord', namespace: 'ns', name: 'svc' };
    host.records.set(keyOf(sk), {
      apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
      kind: 'ServiceDNSRecord',
      metadata: { name: 'svc', namespace: 'ns', uid: 'u' },
      spec: { domainRef: 'missing' },
    });
    const result = await new Reconciler(host, host, 'externaldns.k8s.io', silent).reconcile(sk);
    expect(result.verdict).to.include({ reason: 'InvalidSpec' });
    expect(result.verdict?.message).to.equal('spec.domainRef: Domain "missing" not found in namespace(s) ns, kube-federation-system');
    expect(host.endpoints.size).to.equal(0);
  });

  it('keeps lastTransitionTime while the verdict stays the same', async () => {
    const { host, reconciler } = setup();
    await reconciler.reconcile(key);
    const first = host.record(key)?.status?.conditions?.[0]?.lastTransitionTime;
    host.clusters = [member('member1', '127.0.0.11')];
    const later = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => new Date('2026-11-22T00:00:00Z'));
    await later.reconcile(key);
    expect(host.record(key)?.status?.conditions?.[0]?.lastTransitionTime).to.equal(first);
  });

  it('deletes its DNSEndpoint when the record is gone, and never one it did not make', async () => {
    const { host, reconciler } = setup();
    await reconciler.reconcile(key);
    host.records.clear();
    expect((await reconciler.reconcile(key)).dnsEndpoint).to.equal('deleted');
    host.endpoints.set(`${key.namespace}/ingress-fed-helloworld-ingress`, {
      metadata: { name: 'ingress-fed-helloworld-ingress', namespace: key.namespace },
      spec: { endpoints: [] },
    });
    expect((await reconciler.reconcile(key)).dnsEndpoint).to.equal('unchanged');
    expect(host.endpoints.size).to.equal(1);
  });

  it('emits the KubeFed group for ExternalDNS <= v0.20 when configured', async () => {
    const { host } = setup();
    await new Reconciler(host, host, 'multiclusterdns.kubefed.io', silent).reconcile(key);
    expect(host.dnsEndpoint(key.namespace, 'ingress-fed-helloworld-ingress')?.apiVersion).to.equal('multiclusterdns.kubefed.io/v1alpha1');
  });
});

describe('reconciling a record: lost clusters and status.health', () => {
  const degraded = (host: MemoryHost) =>
    (host.records.get(keyOf(key))?.status as { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } | undefined)?.conditions?.find(
      (c) => c.type === 'Degraded',
    );

  it('marks the record Degraded with a Warning when a member loses its Ingress, and clears it when it is back', async () => {
    const { host, reconciler } = setup();
    await reconciler.reconcile(key);
    expect(degraded(host), 'no Degraded condition on a record that never lost a cluster').to.equal(undefined);

    host.clusters = [member('member1', '127.0.0.11'), { ...member('member2', '127.0.0.12'), ingresses: [] }];
    await reconciler.reconcile(key);
    expect(degraded(host)).to.deep.include({ status: 'True', reason: 'ClustersLost' });
    expect(degraded(host)?.message).to.contain('member2');
    expect(host.events).to.include('Warning ClustersLost fed-helloworld-ingress');

    host.events = [];
    await reconciler.reconcile(key);
    expect(degraded(host)?.status, 'still degraded on the next reconcile').to.equal('True');
    expect(host.events).to.deep.equal([]);

    host.clusters = [member('member1', '127.0.0.11'), member('member2', '127.0.0.12')];
    await reconciler.reconcile(key);
    expect(degraded(host)).to.deep.include({ status: 'False', reason: 'ClustersRecovered' });
    expect(host.events).to.include('Normal ClustersRecovered fed-helloworld-ingress');
  });

  it('writes no status.health on a record without spec.healthCheck, and removes one left from before', async () => {
    const { Prober } = await import('../../../../src/health/index.js');
    const prober = new Prober({ concurrency: 1, logger: silent });
    try {
      const host = new MemoryHost();
      host.records.set(keyOf(key), { ...seedRecord(), status: { health: { clusters: [{ cluster: 'member1', healthy: true }] } } } as DNSRecord);
      host.clusters = [member('member1', '127.0.0.11')];
      const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => new Date('2026-11-21T00:00:00Z'), { prober });
      await reconciler.reconcile(key);
      expect(host.records.get(keyOf(key))?.status).to.not.have.property('health');
    } finally {
      await prober.stop();
    }
  });
});

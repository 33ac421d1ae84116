// Taking over DNSEndpoints mcdns's cache does not hold: the ones KubeFed wrote (same names, no
// labels, no ownerReference) are adopted; one another controller owns is left alone, and the
// record says so.
import { expect } from 'chai';
import type { DNSEndpoint, DNSRecord, Domain, IngressDNSRecord, RecordKind } from '../../../../src/api/schema.js';
import type { ClusterObservation } from '../../../../src/core/observation.js';
import type { RecordRef } from '../../../../src/core/dnsendpoint.js';
import { Reconciler } from '../../../../src/controller/reconcile/reconciler.js';
import { type HostView, type HostWrites } from '../../../../src/controller/host/ports.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import { createLogger } from '../../../../src/log.js';

// The cache (what the label-selected watch holds) and the API server are kept apart here.
class Host implements HostView, HostWrites {
  records = new Map<string, DNSRecord>();
  cached = new Map<string, DNSEndpoint>();
  server = new Map<string, DNSEndpoint>();
  writes: string[] = [];
  record(key: RecordKey) { return this.records.get(keyOf(key)); }
  domain(): Domain | undefined { return undefined; }
  domainNamespaces(ns: string) { return [ns]; }
  dnsEndpoint(ns: string, name: string) { return this.cached.get(`${ns}/${name}`); }
  members(): ClusterObservation[] {
    return [{ cluster: 'member1', state: 'online', zones: [], services: [], ingresses: [{ namespace: 'ns', name: 'web', hosts: ['web.example.org'], loadBalancer: [{ ip: '192.0.2.1' }] }] }];
  }
  private store(obj: DNSEndpoint) {
    const k = `${obj.metadata.namespace}/${obj.metadata.name}`;
    this.server.set(k, structuredClone(obj));
    if (obj.metadata.labels?.['app.kubernetes.io/managed-by'] === 'mcdns') this.cached.set(k, structuredClone(obj));
  }
  async createDNSEndpoint(obj: DNSEndpoint) {
    this.writes.push('create');
    if (this.server.has(`${obj.metadata.namespace}/${obj.metadata.name}`)) throw Object.assign(new Error('AlreadyExists'), { code: 409 });
    this.store(obj);
  }
  async replaceDNSEndpoint(obj: DNSEndpoint) { this.writes.push('replace'); this.store(obj); }
  async deleteDNSEndpoint(ns: string, name: string) { this.writes.push('delete'); this.server.delete(`${ns}/${name}`); this.cached.delete(`${ns}/${name}`); }
  async readDNSEndpoint(ns: string, name: string) { this.writes.push('read'); return structuredClone(this.server.get(`${ns}/${name}`)); }
  async replaceStatus(kind: RecordKind, r: DNSRecord) { this.writes.push('status'); this.records.set(`${kind}/${r.metadata.namespace}/${r.metadata.name}`, structuredClone(r)); }
  async updateFinalizers(_k: RecordKind, r: DNSRecord) { return r; }
  async event(_r: RecordRef, _t: string, _reason: string) {}
}

const key: RecordKey = { kind: 'IngressDNSRecord', namespace: 'ns', name: 'web' };
const record: IngressDNSRecord = {
  apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
  kind: 'IngressDNSRecord',
  metadata: { name: 'web', namespace: 'ns', uid: 'uid-web', generation: 1 },
  spec: { hosts: ['web.example.org'], recordTTL: 60 },
};
const kubefedMade = (): DNSEndpoint => ({
  apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
  kind: 'DNSEndpoint',
  metadata: { name: 'ingress-web', namespace: 'ns', resourceVersion: '42', annotations: { note: 'kept' } },
  spec: { endpoints: [{ dnsName: 'web.example.org', recordType: 'A', targets: ['192.0.2.9'], recordTTL: 60 }] },
});

function setup() {
  const host = new Host();
  host.records.set(keyOf(key), structuredClone(record));
  const reconciler = new Reconciler(host, host, 'multiclusterdns.kubefed.io', createLogger('silent'), () => new Date('2026-11-21T00:00:00Z'));
  return { host, reconciler };
}

describe('adopting existing DNSEndpoints', () => {
  it("takes over KubeFed's DNSEndpoint: labels, ownerReference and content, keeping its other metadata", async () => {
    const { host, reconciler } = setup();
    host.server.set('ns/ingress-web', kubefedMade());
    const result = await reconciler.reconcile(key);
    expect(result.dnsEndpoint).to.equal('updated');
    expect(host.writes.slice(0, 3)).to.deep.equal(['create', 'read', 'replace']);
    const ep = host.server.get('ns/ingress-web')!;
    expect(ep.metadata.labels).to.include({ 'app.kubernetes.io/managed-by': 'mcdns', 'multiclusterdns.kubefed.io/record-name': 'web' });
    expect(ep.metadata.ownerReferences?.[0]).to.include({ kind: 'IngressDNSRecord', uid: 'uid-web', controller: true });
    expect(ep.metadata).to.include({ resourceVersion: '42' });
    expect(ep.metadata.annotations).to.deep.equal({ note: 'kept' });
    expect(ep.spec.endpoints?.[0]?.targets).to.deep.equal(['192.0.2.1']);
    expect(host.record(key)?.status?.conditions?.[0]).to.include({ status: 'True', reason: 'Published' });
    host.writes = [];
    await reconciler.reconcile(key);
    expect(host.writes, 'steady once adopted').to.deep.equal([]);
  });

  it('leaves alone a DNSEndpoint another controller owns, and says so in Ready', async () => {
    const { host, reconciler } = setup();
    const foreign = kubefedMade();
    foreign.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'someone', uid: 'uid-other', controller: true }];
    host.server.set('ns/ingress-web', foreign);
    const result = await reconciler.reconcile(key);
    expect(result.dnsEndpoint).to.equal('conflict');
    expect(host.writes).to.not.include('replace');
    expect(host.server.get('ns/ingress-web')?.spec.endpoints?.[0]?.targets).to.deep.equal(['192.0.2.9']);
    const ready = host.record(key)?.status?.conditions?.[0];
    expect(ready).to.include({ status: 'False', reason: 'DNSEndpointConflict' });
    expect(ready?.message).to.match(/ns\/ingress-web .*controlled by ConfigMap someone/);
  });

  it('adopts one already ours that the cache has not caught up with, without rewriting equal content', async () => {
    const { host, reconciler } = setup();
    await reconciler.reconcile(key);
    const ours = host.server.get('ns/ingress-web')!;
    host.cached.clear(); // the watch has not delivered it yet
    host.writes = [];
    const result = await reconciler.reconcile(key);
    expect(result.dnsEndpoint).to.equal('unchanged');
    expect(host.writes).to.deep.equal(['create', 'read']);
    expect(host.server.get('ns/ingress-web')).to.deep.equal(ours);
  });
});

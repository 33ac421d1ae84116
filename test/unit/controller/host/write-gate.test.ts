// The leader-election write gate: host writes and provider writes are refused the moment this
// replica may not write, and host writes are counted for /metrics.
import { expect } from 'chai';
import type { DNSEndpoint, DNSRecord, RecordKind } from '../../../../src/api/schema.js';
import type { RecordRef } from '../../../../src/core/dnsendpoint.js';
import { GatedHostWrites } from '../../../../src/controller/host/host-writes.js';
import { NotLeaderError } from '../../../../src/errors.js';
import type { HostWrites } from '../../../../src/controller/host/ports.js';
import { leaderGate } from '../../../../src/apply/outputs.js';
import { registry } from '../../../../src/metrics/metrics.js';
import { ownershipConfig } from '../../../../src/plan/ownership.js';
import { ProviderSink } from '../../../../src/apply/sink.js';
import { sample } from '../../metrics/metrics-text.js';
import { MemoryProvider } from '../../providers/memory-provider.js';

class Recorder implements HostWrites {
  calls: string[] = [];
  async createDNSEndpoint(obj: DNSEndpoint) { this.calls.push(`create ${obj.metadata.name}`); }
  async replaceDNSEndpoint(obj: DNSEndpoint) { this.calls.push(`replace ${obj.metadata.name}`); }
  async deleteDNSEndpoint(_ns: string, name: string) { this.calls.push(`delete ${name}`); }
  async replaceStatus(_kind: RecordKind, r: DNSRecord) { this.calls.push(`status ${r.metadata.name}`); }
  async readDNSEndpoint() { return undefined; }
  async updateFinalizers(_kind: RecordKind, r: DNSRecord) { this.calls.push(`finalizers ${r.metadata.name}`); return r; }
  async event(ref: RecordRef, _t: string, reason: string) { this.calls.push(`event ${reason} ${ref.name}`); }
}

const endpoint: DNSEndpoint = { apiVersion: 'externaldns.k8s.io/v1alpha1', kind: 'DNSEndpoint', metadata: { name: 'ingress-web', namespace: 'ns' }, spec: { endpoints: [] } };

describe('the write gate', () => {
  beforeEach(() => registry.resetMetrics());

  it('passes host writes while open and refuses every one once closed, before any request', async () => {
    let open = true;
    const inner = new Recorder();
    const writes = new GatedHostWrites(inner, { allowed: () => open });
    await writes.createDNSEndpoint(endpoint);
    await writes.event({ kind: 'IngressDNSRecord', namespace: 'ns', name: 'web' }, 'Normal', 'Published', 'ok');
    open = false;
    const refused: unknown[] = [];
    await writes.replaceDNSEndpoint(endpoint).catch((e: unknown) => refused.push(e));
    await writes.deleteDNSEndpoint('ns', 'ingress-web').catch((e: unknown) => refused.push(e));
    await writes.replaceStatus('IngressDNSRecord', { metadata: { name: 'web' }, spec: {} } as DNSRecord).catch((e: unknown) => refused.push(e));
    expect(refused).to.have.length(3);
    expect(refused.every((e) => e instanceof NotLeaderError)).to.equal(true);
    expect(inner.calls).to.deep.equal(['create ingress-web', 'event Published web']);
    const text = await registry.metrics();
    expect(sample(text, 'mcdns_host_writes_total', { resource: 'dnsendpoints', verb: 'create', result: 'success' })).to.equal(1);
    expect(sample(text, 'mcdns_host_writes_total', { resource: 'events', verb: 'create', result: 'success' })).to.equal(1);
    expect(sample(text, 'mcdns_host_writes_total', { resource: 'dnsendpoints', verb: 'update', result: 'success' })).to.equal(undefined);
  });

  it('counts a failed host write as an error', async () => {
    const inner = new Recorder();
    inner.createDNSEndpoint = async () => {
      throw Object.assign(new Error('conflict'), { code: 409 });
    };
    const writes = new GatedHostWrites(inner, { allowed: () => true });
    await writes.createDNSEndpoint(endpoint).catch(() => undefined);
    expect(sample(await registry.metrics(), 'mcdns_host_writes_total', { resource: 'dnsendpoints', verb: 'create', result: 'error' })).to.equal(1);
  });

  it('refuses every provider write request while closed, and leaves the rest of the sink alone', async () => {
    let open = true;
    const provider = new MemoryProvider(['example.org']);
    const sink = new ProviderSink({ provider, ownership: ownershipConfig({ ownerId: 'mcdns' }), policy: 'sync', beforeWrite: leaderGate(() => open) });
    const ep = { dnsName: 'www.example.org', recordType: 'A', targets: ['192.0.2.1'], recordTTL: 60 };
    const ok = await sink.syncRecord('ingressdnsrecord/ns/web', [ep]);
    expect(ok.applied).to.be.greaterThan(0);
    open = false;
    const calls = provider.calls.length;
    let err: unknown;
    await sink.syncRecord('ingressdnsrecord/ns/web', []).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(NotLeaderError);
    err = undefined;
    await sink.deleteRecord('ingressdnsrecord/ns/web').catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(NotLeaderError);
    expect(provider.calls.length, 'no provider write while closed').to.equal(calls);
    expect(provider.list('example.org')).to.include('A www.example.org 192.0.2.1');
    expect(sink.stats().batches).to.be.greaterThan(0);
    open = true;
    await sink.deleteRecord('ingressdnsrecord/ns/web');
    expect(provider.list('example.org').filter((r) => r.includes('www'))).to.deep.equal([]);
  });
});

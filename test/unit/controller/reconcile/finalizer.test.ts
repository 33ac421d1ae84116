import { expect } from 'chai';
import type { DNSEndpoint, DNSRecord, Domain, IngressDNSRecord, RecordKind } from '../../../../src/api/schema.js';
import type { ClusterObservation } from '../../../../src/core/observation.js';
import type { RecordRef } from '../../../../src/core/dnsendpoint.js';
import { Reconciler } from '../../../../src/controller/reconcile/reconciler.js';
import { CLEANUP_FINALIZER } from '../../../../src/controller/reconcile/finalizer.js';
import { CleanupError } from '../../../../src/controller/reconcile/types.js';
import { type HostView, type HostWrites } from '../../../../src/controller/host/ports.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import { createLogger } from '../../../../src/log.js';

// An in-memory host with the API server's deletion semantics: deleting an object with
// finalizers only sets deletionTimestamp; removing the last finalizer then removes it.
class Host implements HostView, HostWrites {
  records = new Map<string, DNSRecord>();
  endpoints = new Map<string, DNSEndpoint>();
  writes: string[] = [];
  events: string[] = [];
  record(key: RecordKey) { return this.records.get(keyOf(key)); }
  domain(): Domain | undefined { return undefined; }
  domainNamespaces(namespace: string) { return [namespace]; }
  dnsEndpoint(namespace: string, name: string) { return this.endpoints.get(`${namespace}/${name}`); }
  members(): ClusterObservation[] {
    return [{ cluster: 'member1', state: 'online', zones: [], services: [], ingresses: [{ namespace: 'ns', name: 'web', hosts: ['web.example.org'], loadBalancer: [{ ip: '127.0.0.11' }] }] }];
  }
  async createDNSEndpoint(obj: DNSEndpoint) {
    this.writes.push('create dnsendpoint');
    this.endpoints.set(`${obj.metadata.namespace}/${obj.metadata.name}`, structuredClone(obj));
  }
  async replaceDNSEndpoint(obj: DNSEndpoint) {
    this.writes.push('replace dnsendpoint');
    this.endpoints.set(`${obj.metadata.namespace}/${obj.metadata.name}`, structuredClone(obj));
  }
  async deleteDNSEndpoint(namespace: string, name: string) {
    this.writes.push('delete dnsendpoint');
    this.endpoints.delete(`${namespace}/${name}`);
  }
  async replaceStatus(kind: RecordKind, record: DNSRecord) {
    this.writes.push('status');
    this.records.set(`${kind}/${record.metadata.namespace}/${record.metadata.name}`, structuredClone(record));
  }
  async readDNSEndpoint(namespace: string, name: string) { return this.endpoints.get(`${namespace}/${name}`); }
  async updateFinalizers(kind: RecordKind, record: DNSRecord, finalizers: string[]) {
    this.writes.push(`finalizers [${finalizers.join(',')}]`);
    const k = `${kind}/${record.metadata.namespace}/${record.metadata.name}`;
    const next = structuredClone({ ...record, metadata: { ...record.metadata, finalizers } });
    if (next.metadata.deletionTimestamp && finalizers.length === 0) this.records.delete(k);
    else this.records.set(k, next);
    return next;
  }
  async event(_ref: RecordRef, type: string, reason: string) { this.events.push(`${type} ${reason}`); }
  /** kubectl delete */
  delete(key: RecordKey) {
    const r = this.records.get(keyOf(key))!;
    if ((r.metadata.finalizers ?? []).length === 0) this.records.delete(keyOf(key));
    else r.metadata.deletionTimestamp = '2026-11-21T00:01:00Z';
  }
}

const key: RecordKey = { kind: 'IngressDNSRecord', namespace: 'ns', name: 'web' };
const silent = createLogger('silent');

function setup(cleanup?: (key: RecordKey) => Promise<void>, now = () => new Date('2026-11-21T00:00:00Z'), holds?: (key: RecordKey) => boolean) {
  const host = new Host();
  const record: IngressDNSRecord = {
    apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
    kind: 'IngressDNSRecord',
    metadata: { name: 'web', namespace: 'ns', uid: 'uid-web', generation: 1 },
    spec: { hosts: ['web.example.org'], recordTTL: 60 },
  };
  host.records.set(keyOf(key), record);
  const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, now, cleanup ? { cleanup, ...(holds ? { holds } : {}) } : {});
  return { host, reconciler };
}

describe('the cleanup finalizer', () => {
  it('is added by the first full reconcile, after the DNS outputs and the status, when a direct provider is configured', async () => {
    const { host, reconciler } = setup(async () => undefined);
    const result = await reconciler.reconcile(key);
    expect(result.finalizer).to.equal('added');
    expect(host.writes).to.deep.equal(['create dnsendpoint', 'status', `finalizers [${CLEANUP_FINALIZER}]`]);
    expect(host.record(key)?.metadata.finalizers).to.deep.equal([CLEANUP_FINALIZER]);
    host.writes = [];
    expect((await reconciler.reconcile(key)).finalizer).to.equal(undefined);
    expect(host.writes, 'steady state').to.deep.equal([]);
  });

  it('is not written by the DNS-first pass, which writes the DNSEndpoint only', async () => {
    const { host, reconciler } = setup(async () => undefined);
    await reconciler.publishOutputs(key, { providers: true, dnsEndpoint: false });
    expect(host.writes, 'the providers-only pass writes nothing on the host').to.deep.equal([]);
    await reconciler.publishOutputs(key);
    expect(host.writes).to.deep.equal(['create dnsendpoint']);
    expect(host.record(key)?.metadata.finalizers).to.equal(undefined);
    host.writes = [];
    await reconciler.reconcile(key);
    expect(host.writes, 'the full reconcile finds the DNSEndpoint in place').to.deep.equal(['status', `finalizers [${CLEANUP_FINALIZER}]`]);
  });

  it('a record deleted before it had the finalizer: its DNS records are removed from its key alone', async () => {
    const calls: string[] = [];
    const { host, reconciler } = setup(async (k) => void calls.push(keyOf(k)), undefined, () => true);
    await reconciler.publishOutputs(key);
    host.delete(key);
    expect(host.record(key), 'no finalizer held it').to.equal(undefined);
    const result = await reconciler.reconcile(key);
    expect(calls).to.deep.equal(['IngressDNSRecord/ns/web']);
    expect(result.dnsEndpoint).to.equal('deleted');
  });

  it('a record deleted before it had the finalizer, while the provider is down: fails so the queue retries the key', async () => {
    const { host, reconciler } = setup(async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:8081'); }, undefined, () => true);
    await reconciler.publishOutputs(key);
    host.delete(key);
    let err: unknown;
    await reconciler.reconcile(key).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(CleanupError);
    expect((err as Error).message).to.contain('ECONNREFUSED');
  });

  it('a gone record the providers hold nothing of costs no provider call', async () => {
    const calls: string[] = [];
    const { reconciler } = setup(async (k) => void calls.push(keyOf(k)), undefined, () => false);
    await reconciler.reconcile({ ...key, name: 'never-existed' });
    expect(calls).to.deep.equal([]);
  });

  it('keeps the finalizers of others', async () => {
    const { host, reconciler } = setup(async () => undefined);
    host.records.get(keyOf(key))!.metadata.finalizers = ['example.com/other'];
    await reconciler.reconcile(key);
    expect(host.record(key)?.metadata.finalizers).to.deep.equal(['example.com/other', CLEANUP_FINALIZER]);
  });

  it('is not added without a provider, and one left from an earlier configuration is removed', async () => {
    const { host, reconciler } = setup();
    await reconciler.reconcile(key);
    expect(host.writes).to.deep.equal(['create dnsendpoint', 'status']);
    host.records.get(keyOf(key))!.metadata.finalizers = [CLEANUP_FINALIZER, 'example.com/other'];
    const result = await reconciler.reconcile(key);
    expect(result.finalizer).to.equal('removed');
    expect(host.record(key)?.metadata.finalizers).to.deep.equal(['example.com/other']);
  });

  it('on deletion removes the DNSEndpoint, runs the cleanup, then releases the finalizer', async () => {
    const calls: string[] = [];
    const { host, reconciler } = setup(async (k) => void calls.push(keyOf(k)));
    await reconciler.reconcile(key);
    host.delete(key);
    host.writes = [];
    const result = await reconciler.reconcile(key);
    expect(calls).to.deep.equal(['IngressDNSRecord/ns/web']);
    expect(host.writes).to.deep.equal(['delete dnsendpoint', 'finalizers []']);
    expect(result).to.include({ dnsEndpoint: 'deleted', finalizer: 'removed' });
    expect(host.record(key), 'gone once the finalizer is released').to.equal(undefined);
    expect(host.events).to.include('Normal CleanedUp');
  });

  it('while the provider is down: keeps the finalizer, says why in Ready=False/CleanupFailed, and fails so the queue retries', async () => {
    let down = true;
    let t = Date.parse('2026-11-21T00:00:00Z');
    const { host, reconciler } = setup(
      async () => {
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:8081');
      },
      () => new Date(t),
    );
    await reconciler.reconcile(key);
    host.delete(key);
    host.writes = [];
    host.events = [];

    let err: unknown;
    await reconciler.reconcile(key).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(CleanupError);
    const ready = host.record(key)?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).to.include({ status: 'False', reason: 'CleanupFailed' });
    expect(ready?.message).to.match(/ECONNREFUSED 127\.0\.0\.1:8081/);
    expect(host.record(key)?.metadata.finalizers).to.deep.equal([CLEANUP_FINALIZER]);
    expect(host.events).to.deep.equal(['Warning CleanupFailed']);
    expect(host.writes).to.deep.equal(['delete dnsendpoint', 'status']);

    // The same failure again: no status write (a write would requeue it at once, past the backoff).
    host.writes = [];
    await reconciler.reconcile(key).catch(() => undefined);
    expect(host.writes).to.deep.equal([]);

    // The provider comes back: the next retry finishes the deletion.
    down = false;
    t += 5_000;
    await reconciler.reconcile(key);
    expect(host.record(key)).to.equal(undefined);
  });

  it('updates a changed CleanupFailed message at most once per interval', async () => {
    let n = 0;
    let t = Date.parse('2026-11-21T00:00:00Z');
    const { host, reconciler } = setup(
      async () => {
        throw new Error(`HTTP 503 request ${++n}`);
      },
      () => new Date(t),
    );
    await reconciler.reconcile(key);
    host.delete(key);
    await reconciler.reconcile(key).catch(() => undefined);
    host.writes = [];
    t += 10_000;
    await reconciler.reconcile(key).catch(() => undefined);
    expect(host.writes, 'message changed, but too soon').to.deep.equal([]);
    t += 60_000;
    await reconciler.reconcile(key).catch(() => undefined);
    expect(host.writes).to.deep.equal(['status']);
    expect(host.record(key)?.status?.conditions?.[0]?.message).to.match(/request 3/);
  });

  it('without a provider releases a leftover finalizer on deletion instead of stranding the record', async () => {
    const { host, reconciler } = setup();
    host.records.get(keyOf(key))!.metadata.finalizers = [CLEANUP_FINALIZER];
    host.delete(key);
    await reconciler.reconcile(key);
    expect(host.record(key)).to.equal(undefined);
  });
});

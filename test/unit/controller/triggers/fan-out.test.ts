import { expect } from 'chai';
import type { DNSRecord } from '../../../../src/api/schema.js';
import { FanOut, type RecordLookup } from '../../../../src/controller/triggers/fan-out.js';
import { OwnWrites } from '../../../../src/controller/host/own-writes.js';
import { WorkQueue } from '../../../../src/controller/runtime/queue.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import { RecordIndex } from '../../../../src/controller/host/record-index.js';
import { ServedRecords } from '../../../../src/controller/triggers/served.js';

/** The host side: records indexed as ApiHostView indexes them. */
class Records implements RecordLookup {
  private readonly byKey = new Map<string, DNSRecord>();
  private readonly index = new RecordIndex();
  constructor(private readonly shared = 'kube-federation-system') {}
  ingress(namespace: string, name: string, hosts: string[]): this {
    return this.put({ kind: 'IngressDNSRecord', namespace, name }, { metadata: { namespace, name }, spec: { hosts } } as DNSRecord);
  }
  service(namespace: string, name: string, domainRef: string): this {
    return this.put({ kind: 'ServiceDNSRecord', namespace, name }, { metadata: { namespace, name }, spec: { domainRef } } as DNSRecord);
  }
  route(namespace: string, name: string, routeRef: { kind: string; name?: string }): this {
    return this.put({ kind: 'RouteDNSRecord', namespace, name }, { metadata: { namespace, name }, spec: { routeRef } } as DNSRecord);
  }
  put(key: RecordKey, r: DNSRecord | undefined): this {
    if (r) this.byKey.set(keyOf(key), r);
    else this.byKey.delete(keyOf(key));
    this.index.set(key.kind, key.namespace, key.name, r);
    return this;
  }
  record(key: RecordKey): DNSRecord | undefined {
    return this.byKey.get(keyOf(key));
  }
  ingressRecordsForHosts(namespace: string, hosts: readonly string[]): RecordKey[] {
    return this.index.ingressRecordsForHosts(namespace, hosts);
  }
  serviceRecordsForDomain(namespace: string, name: string): RecordKey[] {
    return this.index.serviceRecordsForDomain(name, namespace === this.shared ? undefined : (ns) => ns === namespace);
  }
  routeRecordsFor(kind: string, namespace: string, name: string): RecordKey[] {
    return this.index.routeRecordsFor(kind, namespace, name);
  }
}

/** Every key queued now, in order; leaves the queue empty. */
async function queued(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  if (queue.depth === 0) return keys;
  const ctrl = new AbortController();
  await queue.run(
    1,
    async (k) => {
      keys.push(k);
      if (queue.depth === 0) ctrl.abort();
    },
    ctrl.signal,
  );
  return keys;
}

describe('fan-out: a change queues only the records it can affect', () => {
  let records: Records;
  let queue: WorkQueue;
  let served: ServedRecords;
  let own: OwnWrites;
  let fan: FanOut;
  beforeEach(() => {
    records = new Records()
      .ingress('a', 'web', ['www.a.example'])
      .ingress('a', 'fed-api', ['API.a.example.'])
      .ingress('a', 'other', ['other.a.example'])
      .ingress('b', 'web', ['www.a.example', 'api.a.example'])
      .service('a', 'db', 'example')
      .service('a', 'cache', 'other-domain')
      .service('b', 'db', 'example')
      .route('a', 'shop', { kind: 'HTTPRoute' })
      .route('a', 'fed-shop', { kind: 'HTTPRoute', name: 'shop' })
      .route('a', 'shop-tcp', { kind: 'TCPRoute', name: 'shop' });
    queue = new WorkQueue();
    served = new ServedRecords();
    own = new OwnWrites();
    fan = new FanOut(records, served, queue, own, () => ['IngressDNSRecord/a/web', 'ServiceDNSRecord/b/db']);
  });
  afterEach(() => queue.shutDown());

  it('a route change enqueues the RouteDNSRecords of its namespace naming that kind and name, and marks them served by the cluster', async () => {
    fan.member({ cluster: 'east', kind: 'Route', routeKind: 'HTTPRoute', namespace: 'a', name: 'shop' });
    expect((await queued(queue)).sort()).to.deep.equal(['RouteDNSRecord/a/fed-shop', 'RouteDNSRecord/a/shop']);
    expect(served.recordsOf('east').map(keyOf).sort()).to.deep.equal(['RouteDNSRecord/a/fed-shop', 'RouteDNSRecord/a/shop']);
    fan.member({ cluster: 'east', kind: 'Route', routeKind: 'HTTPRoute', namespace: 'b', name: 'shop' });
    expect(await queued(queue)).to.deep.equal([]);
  });

  it('an Ingress change in namespace a enqueues only the records that use it: the one of its name and those of a listing one of its hosts', async () => {
    fan.member({ cluster: 'east', kind: 'Ingress', namespace: 'a', name: 'web', hosts: ['api.a.example'] });
    expect(await queued(queue)).to.deep.equal(['IngressDNSRecord/a/web', 'IngressDNSRecord/a/fed-api']);
  });

  it('an Ingress whose hosts changed reaches the records of its old hosts too', async () => {
    fan.member({ cluster: 'east', kind: 'Ingress', namespace: 'a', name: 'renamed', hosts: ['other.a.example', 'www.a.example'] });
    expect((await queued(queue)).sort()).to.deep.equal(['IngressDNSRecord/a/other', 'IngressDNSRecord/a/web']);
  });

  it('follows record edits: a record is found by its current hosts only', async () => {
    records.ingress('a', 'web', ['new.a.example']);
    fan.member({ cluster: 'east', kind: 'Ingress', namespace: 'a', name: 'x', hosts: ['www.a.example'] });
    fan.member({ cluster: 'east', kind: 'Ingress', namespace: 'a', name: 'y', hosts: ['new.a.example'] });
    expect(await queued(queue)).to.deep.equal(['IngressDNSRecord/a/web']);
  });

  it('a Service or EndpointSlice change queues the ServiceDNSRecord of its namespace/name, and nothing when there is none', async () => {
    fan.member({ cluster: 'east', kind: 'Service', namespace: 'a', name: 'db' });
    fan.member({ cluster: 'east', kind: 'EndpointSlice', namespace: 'a', name: 'db' });
    fan.member({ cluster: 'east', kind: 'EndpointSlice', namespace: 'a', name: 'no-record' });
    expect(await queued(queue), 'identical keys coalesce').to.deep.equal(['ServiceDNSRecord/a/db']);
  });

  it('a Domain change queues the ServiceDNSRecords naming it: of its namespace, or of all for a shared Domain', async () => {
    fan.host({ kind: 'Domain', namespace: 'a', name: 'example' });
    expect(await queued(queue)).to.deep.equal(['ServiceDNSRecord/a/db']);
    fan.host({ kind: 'Domain', namespace: 'kube-federation-system', name: 'example' });
    expect((await queued(queue)).sort()).to.deep.equal(['ServiceDNSRecord/a/db', 'ServiceDNSRecord/b/db']);
  });

  it('a node-label change queues the ServiceDNSRecords that cluster serves; a transition every record it serves', async () => {
    served.set({ kind: 'ServiceDNSRecord', namespace: 'a', name: 'db' }, ['east', 'west']);
    served.set({ kind: 'ServiceDNSRecord', namespace: 'b', name: 'db' }, ['west']);
    served.set({ kind: 'IngressDNSRecord', namespace: 'a', name: 'web' }, ['east']);
    fan.member({ cluster: 'east', kind: 'Node' });
    expect(await queued(queue)).to.deep.equal(['ServiceDNSRecord/a/db']);
    fan.member({ cluster: 'east', kind: 'State' });
    expect((await queued(queue)).sort()).to.deep.equal(['IngressDNSRecord/a/web', 'ServiceDNSRecord/a/db']);
    served.set({ kind: 'ServiceDNSRecord', namespace: 'a', name: 'db' }, []); // reconciled: no longer uses east
    fan.member({ cluster: 'east', kind: 'State' });
    expect(await queued(queue)).to.deep.equal(['IngressDNSRecord/a/web']);
    fan.member({ cluster: 'east', kind: 'State', replaced: true }); // new credentials: its objects may all differ
    expect(await queued(queue)).to.deep.equal(['IngressDNSRecord/a/web', 'ServiceDNSRecord/b/db']);
  });

  it('a record woken by a cluster\'s objects is woken by that cluster\'s next transition, even before its reconcile has finished', async () => {
    // A member's first list arrives (its Ingresses wake their records), then it comes online
    // while those reconciles still read it as not synced: the transition must reach them.
    fan.member({ cluster: 'east', kind: 'Ingress', namespace: 'a', name: 'web', hosts: ['www.a.example'] });
    fan.member({ cluster: 'east', kind: 'Service', namespace: 'a', name: 'db' });
    expect((await queued(queue)).sort()).to.deep.equal(['IngressDNSRecord/a/web', 'ServiceDNSRecord/a/db']);
    fan.member({ cluster: 'east', kind: 'State' });
    expect((await queued(queue)).sort()).to.deep.equal(['IngressDNSRecord/a/web', 'ServiceDNSRecord/a/db']);
    fan.member({ cluster: 'west', kind: 'State' });
    expect(await queued(queue)).to.deep.equal([]);
  });

  it("does not queue a record for the echo of mcdns's own write, but does for anyone else's change", async () => {
    const object = (rv: string) => ({ key: keyOf({ kind: 'IngressDNSRecord', namespace: 'a', name: 'web' }), resourceVersion: rv });
    own.wrote(keyOf({ kind: 'IngressDNSRecord', namespace: 'a', name: 'web' }), '41');
    fan.host({ kind: 'IngressDNSRecord', namespace: 'a', name: 'web', object: object('41') });
    expect(await queued(queue)).to.deep.equal([]);
    fan.host({ kind: 'IngressDNSRecord', namespace: 'a', name: 'web', object: object('42') });
    fan.host({ kind: 'IngressDNSRecord', namespace: 'a', name: 'gone' }); // a deletion carries no version
    expect(await queued(queue)).to.deep.equal(['IngressDNSRecord/a/web', 'IngressDNSRecord/a/gone']);
  });

  it('judges an event that arrives while its record is being reconciled once the reconcile has finished', async () => {
    const k = 'IngressDNSRecord/a/web';
    const endpoint = keyOf({ kind: 'DNSEndpoint', namespace: 'a', name: 'ingress-web' });
    /** Reconciles k once; `during` runs while it is in flight, before settle. */
    const reconcileOnce = async (during: () => void): Promise<void> => {
      queue.add(k);
      const ctrl = new AbortController();
      await queue.run(
        1,
        async (key) => {
          during();
          fan.settle(key);
          ctrl.abort();
        },
        ctrl.signal,
      );
    };
    // The watch echo of our write arrives before the write's answer was processed.
    await reconcileOnce(() => {
      fan.host({ kind: 'IngressDNSRecord', namespace: 'a', name: 'web', object: { key: endpoint, resourceVersion: '7' } });
      own.wrote(endpoint, '7');
    });
    expect(await queued(queue), 'our own echo').to.deep.equal([]);
    // Someone else edits the DNSEndpoint meanwhile: the record runs again.
    await reconcileOnce(() => {
      fan.host({ kind: 'IngressDNSRecord', namespace: 'a', name: 'web', object: { key: endpoint, resourceVersion: '9' } });
      own.wrote(endpoint, '8');
    });
    expect(await queued(queue), "someone else's change").to.deep.equal([k]);
  });
});

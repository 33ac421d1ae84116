// Truthful status under a slow or failing DNS provider: a record whose change waits on the
// provider says Ready=Unknown, reason Publishing, instead of an old `Published`; the attempt's
// outcome replaces it; a fast provider or an unchanged record makes no extra write. The provider
// is a stand-in whose answer the test releases, so nothing here depends on timing.
import { expect } from 'chai';
import winston from 'winston';
import type { Condition, Endpoint, IngressDNSRecord } from '../../../../src/api/schema.js';
import type { ClusterObservation } from '../../../../src/core/observation.js';
import type { DirectOutcome, DirectOutputs } from '../../../../src/apply/outputs.js';
import { Reconciler } from '../../../../src/controller/reconcile/reconciler.js';
import { RetryLater } from '../../../../src/controller/reconcile/types.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import { until } from '../../../env/fake-lb.js';
import { WorkQueue } from '../../../../src/controller/runtime/queue.js';
import { Workers } from '../../../../src/controller/workers.js';
import { MemoryHost } from '../host/memory-host.js';

const silent = winston.createLogger({ silent: true });
const key: RecordKey = { kind: 'IngressDNSRecord', namespace: 'web', name: 'shop' };
const record = (): IngressDNSRecord => ({
  apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
  kind: 'IngressDNSRecord',
  metadata: { name: key.name, namespace: key.namespace, uid: 'uid-shop', generation: 1 },
  spec: { hosts: ['shop.example.org'] },
});
const member = (cluster: string, ip: string): ClusterObservation => ({
  cluster,
  state: 'online',
  zones: [],
  ingresses: [{ namespace: key.namespace, name: key.name, hosts: ['shop.example.org'], loadBalancer: [{ ip }] }],
  services: [],
});

/** A direct provider whose every answer the test gives, when it wants. */
class HeldProvider {
  readonly calls: Endpoint[][] = [];
  private pending: ((o: DirectOutcome) => void)[] = [];
  /** Answer at once with this instead of holding the call. */
  immediate: DirectOutcome | undefined;
  readonly outputs = {
    configured: true,
    publish: (_key: RecordKey, endpoints: Endpoint[]): Promise<DirectOutcome> => {
      this.calls.push(endpoints);
      if (this.immediate) return Promise.resolve(this.immediate);
      return new Promise((resolve) => this.pending.push(resolve));
    },
    cleanup: async () => undefined,
    close: async () => undefined,
  } as unknown as DirectOutputs;
  get held(): number {
    return this.pending.length;
  }
  answer(outcome: DirectOutcome): void {
    this.pending.shift()?.(outcome);
  }
}

function setup(publishingStatusAfterMs: number) {
  const host = new MemoryHost();
  host.records.set(keyOf(key), record());
  host.clusters = [member('member1', '127.0.0.11')];
  const provider = new HeldProvider();
  let clock = Date.parse('2026-11-21T00:00:00Z');
  const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => new Date((clock += 1000)), {
    direct: provider.outputs,
    dnsEndpoints: false,
    publishingStatusAfterMs,
  });
  const ready = () => (host.records.get(keyOf(key))?.status as { conditions?: Condition[] } | undefined)?.conditions?.find((c) => c.type === 'Ready');
  const targets = () => (host.records.get(keyOf(key))?.status as { targets?: string[] } | undefined)?.targets;
  return { host, provider, reconciler, ready, targets };
}

/**
 * Lets a threshold of 0 ms run out before the provider answers: timers fire in order of expiry,
 * so the reconciler's 0 ms timer always fires before this one.
 */
const pastThreshold = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Reconciles `key` while the provider holds the call past the Publishing threshold, then
 * confirms with nothing applied: the endpoints were already in place.
 */
async function reconcileSlowlyConfirmed(reconciler: Reconciler, provider: HeldProvider): Promise<void> {
  const running = reconciler.reconcile(key);
  await until('the provider called', () => provider.held === 1);
  await pastThreshold();
  provider.answer({ applied: 0, retry: false } as DirectOutcome);
  await running;
}

describe('status while a DNS provider is slow or failing', function () {
  this.timeout(10_000);

  it('says Ready=Unknown, reason Publishing, while a change waits on the provider, then Published once it is confirmed', async () => {
    const { host, provider, reconciler, ready, targets } = setup(0);
    provider.immediate = { applied: 1, retry: false } as DirectOutcome;
    await reconciler.reconcile(key);
    expect(ready()).to.include({ status: 'True', reason: 'Published' });
    provider.immediate = undefined;

    host.clusters = [member('member1', '127.0.0.11'), member('member2', '127.0.0.12')];
    host.writes = [];
    const running = reconciler.reconcile(key);
    await until('the Publishing status', () => ready()?.reason === 'Publishing');
    expect(ready()?.status).to.equal('Unknown');
    expect(ready()?.message).to.match(/^waiting for the DNS provider since \S+ to publish: published 1 name, 2 targets from clusters member1, member2/);
    expect(targets(), 'status.targets still says what is published').to.deep.equal(['127.0.0.11']);

    provider.answer({ applied: 1, retry: false } as DirectOutcome);
    await running;
    expect(ready()).to.include({ status: 'True', reason: 'Published' });
    expect(targets()).to.deep.equal(['127.0.0.11', '127.0.0.12']);
    expect(host.writes).to.deep.equal(['status shop', 'status shop']);
    expect(host.events, 'Publishing is transient: no Event').to.deep.equal([]);
  });

  it('replaces Publishing with the failure when the attempt fails, and retries', async () => {
    const { provider, reconciler, ready } = setup(0);
    const running = reconciler.reconcile(key);
    await until('the Publishing status', () => ready()?.reason === 'Publishing');
    provider.answer({
      applied: 0,
      retry: true,
      failure: { status: 'False', reason: 'ProviderError', message: 'powerdns: timed out after 10000 ms' },
    } as DirectOutcome);
    let thrown: unknown;
    await running.catch((err: unknown) => (thrown = err));
    expect(thrown).to.be.instanceOf(RetryLater);
    expect(ready()).to.include({ status: 'False', reason: 'ProviderError' });
    expect(ready()?.message).to.match(/^powerdns: timed out after 10000 ms; /);
  });

  it('makes no extra write with a provider that answers within the threshold', async () => {
    const { host, provider, reconciler, ready } = setup(60_000);
    const running = reconciler.reconcile(key);
    await until('the provider called', () => provider.held === 1);
    provider.answer({ applied: 1, retry: false } as DirectOutcome);
    await running;
    expect(ready()).to.include({ status: 'True', reason: 'Published' });
    expect(host.writes.filter((w) => w.startsWith('status'))).to.deep.equal(['status shop']);
  });

  it('keeps Published while a slow provider is asked for endpoints it already confirmed (a resync)', async () => {
    const { host, provider, reconciler, ready } = setup(0);
    provider.immediate = { applied: 1, retry: false } as DirectOutcome;
    await reconciler.reconcile(key);
    provider.immediate = undefined;
    host.writes = [];
    await reconcileSlowlyConfirmed(reconciler, provider);
    expect(host.writes).to.deep.equal([]);
    expect(ready()).to.include({ status: 'True', reason: 'Published' });
  });

  it('after a restart, treats the endpoints the status says are published as confirmed', async () => {
    const first = setup(0);
    first.provider.immediate = { applied: 1, retry: false } as DirectOutcome;
    await first.reconciler.reconcile(key);
    const provider = new HeldProvider();
    const restarted = new Reconciler(first.host, first.host, 'externaldns.k8s.io', silent, () => new Date('2026-11-21T01:00:00Z'), {
      direct: provider.outputs,
      dnsEndpoints: false,
      publishingStatusAfterMs: 0,
    });
    first.host.writes = [];
    await reconcileSlowlyConfirmed(restarted, provider);
    expect(first.host.writes).to.deep.equal([]);
  });

  it('a leader elected again starts from the status another leader wrote, not from its own older confirmation', async () => {
    const { host, provider, reconciler } = setup(0);
    provider.immediate = { applied: 1, retry: false } as DirectOutcome;
    await reconciler.reconcile(key);
    reconciler.forgetConfirmed(); // the Lease was lost
    // Meanwhile the other leader published a second member and said so in the status.
    host.clusters = [member('member1', '127.0.0.11'), member('member2', '127.0.0.12')];
    const other = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => new Date('2026-11-21T02:00:00Z'), {
      direct: provider.outputs,
      dnsEndpoints: false,
    });
    await other.reconcile(key);
    provider.immediate = undefined;
    host.writes = [];
    await reconcileSlowlyConfirmed(reconciler, provider);
    expect(host.writes).to.deep.equal([]);
  });

  it('with more changed records than workers behind a slow provider, every one of them says Publishing, not only those a worker holds', async () => {
    const { host, provider, reconciler } = setup(0);
    const keys = ['a', 'b', 'c', 'd', 'e'].map((name): RecordKey => ({ ...key, name }));
    for (const k of keys) host.records.set(keyOf(k), { ...record(), metadata: { ...record().metadata, name: k.name, uid: `uid-${k.name}` } });
    const queue = new WorkQueue();
    const workers = new Workers({
      queue,
      reconciler,
      workers: 2,
      logger: silent,
      writing: () => true,
      mayStart: () => true,
      allKeys: () => keys.map(keyOf),
    });
    workers.start();
    const readyOf = (name: string) => (host.records.get(`IngressDNSRecord/web/${name}`)?.status as { conditions?: Condition[] } | undefined)?.conditions?.find((c) => c.type === 'Ready');
    await until('every record says Publishing', () => keys.every((k) => readyOf(k.name)?.reason === 'Publishing'));
    expect(provider.held, 'all five wait on the provider at once').to.equal(5);
    for (let i = 0; i < 5; i++) provider.answer({ applied: 1, retry: false } as DirectOutcome);
    await until('every record Published', () => keys.every((k) => readyOf(k.name)?.reason === 'Published'));
    await workers.stop(1000, true);
  });
});

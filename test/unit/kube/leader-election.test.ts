import { expect } from 'chai';
import type { V1Lease } from '@kubernetes/client-node';
import { LeaderElector, type LeaseClient } from '../../../src/kube/leader-election.js';
import { createLogger } from '../../../src/log.js';

const silent = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One Lease with the API server's optimistic concurrency; every call is logged; replies can be delayed. */
class LeaseStore implements LeaseClient {
  lease: V1Lease | undefined;
  version = 0;
  calls: string[] = [];
  replaceDelayMs = 0;

  async read(): Promise<V1Lease> {
    this.calls.push('read');
    if (!this.lease) throw Object.assign(new Error('not found'), { code: 404 });
    return structuredClone(this.lease);
  }
  async create(_ns: string, lease: V1Lease): Promise<V1Lease> {
    this.calls.push('create');
    this.lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.version) } };
    return structuredClone(this.lease);
  }
  async replace(_ns: string, _name: string, lease: V1Lease, signal: AbortSignal): Promise<V1Lease> {
    this.calls.push('replace');
    if (this.replaceDelayMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.replaceDelayMs);
        signal.addEventListener('abort', () => (clearTimeout(t), reject(new Error('The operation was aborted due to timeout'))), { once: true });
      });
    }
    if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
    this.lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.version) } };
    return structuredClone(this.lease);
  }
  /** Another writer touches the Lease (its version moves on). */
  touch(): void {
    this.lease = { ...this.lease!, metadata: { ...this.lease!.metadata, resourceVersion: String(++this.version) } };
  }
}

function elector(store: LeaseStore) {
  const transitions: string[] = [];
  const e = new LeaderElector(store, { namespace: 'ns', identity: 'me', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200, logger: silent });
  e.start({ onStartedLeading: () => transitions.push('started'), onStoppedLeading: (why) => transitions.push(`stopped: ${why}`) });
  return { e, transitions };
}

describe('leader election', () => {
  it('renews as the leader with one update of the Lease as last seen, without reading it first', async () => {
    const store = new LeaseStore();
    const { e, transitions } = elector(store);
    await sleep(100);
    expect(transitions).to.deep.equal(['started']);
    store.calls = [];
    await sleep(700);
    expect(store.calls.length).to.be.at.least(2);
    expect(store.calls.every((c) => c === 'replace')).to.equal(true);
    await e.stop();
  });

  it('reads the Lease again when an update conflicts, and keeps leading when it still holds it', async () => {
    const store = new LeaseStore();
    const { e, transitions } = elector(store);
    await sleep(100);
    store.touch();
    store.calls = [];
    await sleep(300);
    expect(store.calls.slice(0, 3)).to.deep.equal(['replace', 'read', 'replace']);
    expect(e.isLeader()).to.equal(true);
    expect(transitions).to.deep.equal(['started']);
    await e.stop();
  });

  it('waits for a slow renewal up to the renew deadline instead of giving up after the request timeout', async () => {
    const store = new LeaseStore();
    const { e, transitions } = elector(store);
    await sleep(100);
    // Slower than the 1 s per-request timeout, well within the 2 s renew deadline.
    store.calls = [];
    const before = store.version;
    store.replaceDelayMs = 1300;
    await sleep(1700);
    expect(transitions, 'never stepped down').to.deep.equal(['started']);
    expect(store.calls.filter((c) => c === 'read'), 'no fallback read: every slow renewal succeeded').to.deep.equal([]);
    expect(store.version, 'renewed while slow').to.be.above(before);
    store.replaceDelayMs = 0;
    await e.stop();
  });

  it('steps down when no renewal succeeds within the renew deadline', async () => {
    const store = new LeaseStore();
    const { e, transitions } = elector(store);
    await sleep(100);
    store.replaceDelayMs = 5000;
    await sleep(2300);
    expect(transitions).to.deep.equal(['started', 'stopped: could not renew the Lease within the renew deadline']);
    expect(e.isLeader()).to.equal(false);
    store.replaceDelayMs = 0;
    await e.stop();
  });
});

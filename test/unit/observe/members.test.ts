import { expect } from 'chai';
import type { ClusterObservation } from '../../../src/core/observation.js';
import type { MemberConfig } from '../../../src/observe/sources/member-config.js';
import type { MemberChange, MemberLink } from '../../../src/observe/member.js';
import { MemberSet, type ClusterChange, type Observer } from '../../../src/observe/members.js';
import { createLogger } from '../../../src/log.js';
import { FakeApiServer, eventually, kubeConfigFor, sleep } from '../kube/fake-apiserver.js';

const quiet = createLogger('silent');
const INGRESSES = '/apis/networking.k8s.io/v1/ingresses';

/** A hand-driven observer, to test MemberSet's bookkeeping without timing. */
class FakeObserver implements Observer {
  static made: FakeObserver[] = [];
  started = false;
  stopped = false;
  isSynced = false;
  private readonly listeners = new Set<(c: MemberChange) => void>();
  constructor(readonly config: MemberConfig) {
    FakeObserver.made.push(this);
  }
  get cluster(): string {
    return this.config.name;
  }
  start(): void {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  synced(): boolean {
    return this.isSynced;
  }
  /** Reports, as its message, the credentials it was built with, so tests see which one serves. */
  snapshot(): ClusterObservation {
    const token = this.config.kubeConfig.getCurrentUser()?.token ?? '';
    return { cluster: this.cluster, state: this.isSynced ? 'online' : 'unknown', stateMessage: token, zones: [], ingresses: [], services: [] };
  }
  link(): MemberLink {
    return { heartbeatTimeoutMs: 3000, seen: {} };
  }
  status(): ClusterObservation {
    return this.snapshot();
  }
  observationFor(): ClusterObservation {
    return this.snapshot();
  }
  counts(): Record<string, number> {
    return {};
  }
  onChange(cb: (c: MemberChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  fire(c: MemberChange): void {
    for (const cb of this.listeners) cb(c);
  }
}

const member = (name: string, token = 't1', server = 'http://127.0.0.1:1'): MemberConfig => ({
  name,
  kubeConfig: kubeConfigFor(server, token, name),
  source: 'kubefedcluster',
});

describe('MemberSet', () => {
  describe('bookkeeping', () => {
    let set: MemberSet;
    let changes: ClusterChange[];
    beforeEach(() => {
      FakeObserver.made = [];
      set = new MemberSet({ logger: quiet, create: (c) => new FakeObserver(c), handoverTimeoutMs: 200 });
      changes = [];
      set.onChange((c) => changes.push(c));
    });
    afterEach(() => set.stop());

    it('starts one observer per member, tags its changes with the cluster name, and sorts snapshots by cluster', () => {
      set.add(member('west'));
      set.add(member('east'));
      expect(FakeObserver.made.map((o) => [o.cluster, o.started])).to.deep.equal([
        ['west', true],
        ['east', true],
      ]);
      FakeObserver.made[0]!.fire({ kind: 'Ingress', namespace: 'shop', name: 'web' });
      expect(changes).to.deep.equal([
        { cluster: 'west', kind: 'State' },
        { cluster: 'east', kind: 'State' },
        { cluster: 'west', kind: 'Ingress', namespace: 'shop', name: 'web' },
      ]);
      expect(set.snapshots().map((s) => s.cluster)).to.deep.equal(['east', 'west']);
    });

    it('removes a member: stops its observer, drops its snapshot and announces it', async () => {
      set.add(member('east'));
      await set.remove('east');
      expect(FakeObserver.made[0]?.stopped).to.equal(true);
      expect(set.snapshots()).to.deep.equal([]);
      expect(changes.at(-1)).to.deep.equal({ cluster: 'east', kind: 'State' });
    });

    it('ignores an update that changes nothing', () => {
      set.add(member('east'));
      set.update(member('east'));
      expect(FakeObserver.made).to.have.length(1);
    });

    it('on a credential change keeps serving the old observer until the new one has synced, then swaps', () => {
      set.add(member('east', 'old'));
      const old = FakeObserver.made[0]!;
      old.isSynced = true;
      set.update(member('east', 'new'));
      const fresh = FakeObserver.made[1]!;
      expect(fresh.started).to.equal(true);
      expect(set.snapshots()[0]?.stateMessage, 'old one serves meanwhile').to.equal('old');

      fresh.fire({ kind: 'Ingress', namespace: 'a', name: 'b' }); // not synced yet: not forwarded
      old.fire({ kind: 'Service', namespace: 'a', name: 'c' }); // the serving one: forwarded
      fresh.isSynced = true;
      fresh.fire({ kind: 'State' });
      expect(old.stopped).to.equal(true);
      expect(set.snapshots()[0]?.stateMessage).to.equal('new');
      expect(changes.slice(1)).to.deep.equal([
        { cluster: 'east', kind: 'Service', namespace: 'a', name: 'c' },
        { cluster: 'east', kind: 'State', replaced: true },
      ]);
    });

    it('swaps anyway after the handover timeout when the new observer never syncs', async () => {
      set.add(member('east', 'old'));
      FakeObserver.made[0]!.isSynced = true;
      set.update(member('east', 'broken'));
      await sleep(250);
      expect(FakeObserver.made[0]?.stopped).to.equal(true);
      expect(set.snapshots()[0]).to.include({ state: 'unknown', stateMessage: 'broken' });
    });

    it('applies a change set from a member source', async () => {
      await set.apply({ added: [member('a'), member('b')], updated: [], removed: [] });
      await set.apply({ added: [member('c')], updated: [member('a', 't2')], removed: ['b'] });
      expect(set.names()).to.deep.equal(['a', 'c']);
      expect(FakeObserver.made.map((o) => o.cluster)).to.deep.equal(['a', 'b', 'c', 'a']);
    });
  });

  describe('with real observers', () => {
    let east: FakeApiServer;
    let west: FakeApiServer;
    let set: MemberSet;
    beforeEach(async () => {
      east = await FakeApiServer.start({ token: 'e' });
      west = await FakeApiServer.start({ token: 'w' });
      set = new MemberSet({ logger: quiet, observer: { heartbeatMs: 50 } });
    });
    afterEach(async () => {
      await set.stop();
      await Promise.all([east.stop(), west.stop()]);
    });

    it('observes members joining at run time and stops talking to a member once removed', async () => {
      const changes: ClusterChange[] = [];
      set.onChange((c) => changes.push(c));
      west.put(INGRESSES, { metadata: { name: 'web', namespace: 'shop' }, spec: { rules: [{ host: 'w.example.org' }] } });
      set.add({ name: 'west', kubeConfig: west.kubeConfig('w'), source: 'kubeconfig' });
      set.add({ name: 'east', kubeConfig: east.kubeConfig('e'), source: 'kubeconfig', region: 'r-east' });
      await eventually(() => set.synced() && set.snapshots().every((s) => s.state === 'online'), 3000, 'both online');
      expect(set.snapshots().map((s) => [s.cluster, s.state, s.region, s.ingresses.length])).to.deep.equal([
        ['east', 'online', 'r-east', 0],
        ['west', 'online', undefined, 1],
      ]);

      east.put(INGRESSES, { metadata: { name: 'api', namespace: 'shop' }, spec: { rules: [{ host: 'e.example.org' }] } });
      await eventually(() => changes.some((c) => c.cluster === 'east' && c.kind === 'Ingress'), 3000, 'east change');

      await set.remove('east');
      await sleep(30); // a heartbeat already on the wire when it stopped may still land
      const before = east.requests.length;
      await sleep(200);
      expect(east.requests.slice(before).map((r) => r.path + (r.watch ? ' watch' : '')), 'no heartbeat or watch after removal').to.deep.equal([]);
      expect(east.openWatchCount).to.equal(0);
      expect(set.snapshots().map((s) => s.cluster)).to.deep.equal(['west']);
    });
  });
});

import { expect } from 'chai';
import { lostClusters, nextDegraded, servingClusters, type DegradedInput } from '../../../src/core/degraded.js';
import type { Condition } from '../../../src/api/schema.js';

const entry = (cluster: string, ip?: string) => ({ cluster, loadBalancer: ip ? { ingress: [{ ip }] } : {} });
const online = (...clusters: string[]) => clusters.map((cluster) => ({ cluster, online: true }));
const t0 = new Date('2026-11-30T10:00:00Z');
const t1 = new Date('2026-11-30T10:05:00Z');
const input = (over: Partial<DegradedInput>): DegradedInput => ({
  before: { dns: [entry('member1', '127.0.0.11'), entry('member2', '127.0.0.12')] },
  dns: [entry('member1', '127.0.0.11'), entry('member2', '127.0.0.12')],
  members: online('member1', 'member2'),
  generation: 1,
  now: t0,
  ...over,
});

describe('core: the Degraded condition', () => {
  it('reads which clusters serve from status.dns (an entry with an address)', () => {
    const s = servingClusters([entry('a', '127.0.0.1'), entry('b'), { bogus: true }]);
    expect([...s.serving]).to.deep.equal(['a']);
    expect([...s.listed]).to.deep.equal(['a', 'b']);
  });

  it('is absent while no cluster was lost (no condition written on records that never degraded)', () => {
    expect(nextDegraded(input({}))).to.equal(undefined);
    expect(nextDegraded(input({ before: undefined }))).to.equal(undefined);
  });

  it('turns True with a Warning when a cluster loses its Ingress, naming it and why', () => {
    const change = nextDegraded(input({ dns: [entry('member1', '127.0.0.11')] }))!;
    expect(change.condition).to.deep.include({ type: 'Degraded', status: 'True', reason: 'ClustersLost', lastTransitionTime: t0.toISOString(), observedGeneration: 1 });
    expect(change.condition.message).to.equal('clusters no longer serving: member2 (member2: no Ingress, Service or route for this record)');
    expect(change.event).to.deep.equal({ type: 'Warning', reason: 'ClustersLost', message: change.condition.message });
    expect(lostClusters(change.condition)).to.deep.equal(['member2']);
  });

  it('says "no load-balancer address" when the Ingress is there without one', () => {
    const change = nextDegraded(input({ dns: [entry('member1', '127.0.0.11'), entry('member2')] }))!;
    expect(change.condition.message).to.equal('clusters no longer serving: member2 (member2: no load-balancer address to publish)');
  });

  it('stays True, without a new Event, while the lost cluster still does not serve (remembered in the condition)', () => {
    const first = nextDegraded(input({ dns: [entry('member1', '127.0.0.11')] }))!.condition;
    const before = { conditions: [first], dns: [entry('member1', '127.0.0.11')] };
    expect(nextDegraded(input({ before, dns: [entry('member1', '127.0.0.11')], now: t1 }))).to.equal(undefined);
    // Its Ingress is back but without an address: the text changes, the transition time does not.
    const next = nextDegraded(input({ before, dns: [entry('member1', '127.0.0.11'), entry('member2')], now: t1 }))!;
    expect(next.event).to.equal(undefined);
    expect(next.condition.lastTransitionTime).to.equal(t0.toISOString());
  });

  it('warns again when one more cluster is lost', () => {
    const first = nextDegraded(input({ members: online('member1', 'member2', 'member3'), before: { dns: [entry('member1', '1'), entry('member2', '2'), entry('member3', '3')] }, dns: [entry('member1', '1'), entry('member3', '3')] }))!.condition;
    const change = nextDegraded(input({ members: online('member1', 'member2', 'member3'), before: { conditions: [first], dns: [entry('member1', '1'), entry('member3', '3')] }, dns: [entry('member1', '1')] }))!;
    expect(lostClusters(change.condition)).to.deep.equal(['member2', 'member3']);
    expect(change.event?.reason).to.equal('ClustersLost');
  });

  it('turns False with a Normal Event when the lost cluster serves again', () => {
    const first = nextDegraded(input({ dns: [entry('member1', '127.0.0.11')] }))!.condition;
    const change = nextDegraded(input({ before: { conditions: [first], dns: [entry('member1', '127.0.0.11')] }, now: t1 }))!;
    expect(change.condition).to.deep.include({ status: 'False', reason: 'ClustersRecovered', lastTransitionTime: t1.toISOString() });
    expect(change.event).to.deep.include({ type: 'Normal', reason: 'ClustersRecovered' });
    const settled: Condition = change.condition;
    expect(nextDegraded(input({ before: { conditions: [settled], dns: [entry('member1', '1'), entry('member2', '2')] } }))).to.equal(undefined);
  });

  it('leaves offline clusters to their own signal, and clusters that left the federation out', () => {
    expect(nextDegraded(input({ dns: [entry('member1', '127.0.0.11'), entry('member2')], members: [{ cluster: 'member1', online: true }, { cluster: 'member2', online: false }] }))).to.equal(undefined);
    expect(nextDegraded(input({ dns: [entry('member1', '127.0.0.11')], members: online('member1') }))).to.equal(undefined);
  });
});

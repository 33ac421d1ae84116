import { expect } from 'chai';
import type { ClusterObservation, ClusterState } from '../../../../src/core/observation.js';
import type { EventRecorder } from '../../../../src/controller/events/recorder.js';
import type { RecordKey } from '../../../../src/core/record-key.js';
import { TransitionEvents } from '../../../../src/controller/events/member-transitions.js';
import { createLogger } from '../../../../src/log.js';

const status = (cluster: string, state: ClusterState): ClusterObservation => ({ cluster, state, zones: [], ingresses: [], services: [] });
const recordKeys = (n: number): RecordKey[] => Array.from({ length: n }, (_, i) => ({ kind: 'IngressDNSRecord', namespace: 'shop', name: `r${i}` }));

/** An Event sink whose writes finish only when released, counting how many are open at once. */
class SlowEvents implements EventRecorder {
  sent: string[] = [];
  open = 0;
  maxOpen = 0;
  private waiting: Array<() => void> = [];
  async record(ref: RecordKey, type: string, reason: string): Promise<void> {
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    await new Promise<void>((r) => this.waiting.push(r));
    this.open--;
    this.sent.push(`${type} ${reason} ${ref.name}`);
  }
  async releaseAll(): Promise<void> {
    while (this.waiting.length > 0 || this.open > 0) {
      for (const r of this.waiting.splice(0)) r();
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe('Events on member cluster transitions', () => {
  it('records one Event per served record per transition, a few at a time, and none for a start-up unknown → online', async () => {
    const events = new SlowEvents();
    const t = new TransitionEvents({ events, served: () => recordKeys(50), uid: () => 'u', writing: () => true, logger: createLogger('silent'), concurrency: 4 });
    t.observe([status('east', 'unknown')]);
    t.observe([status('east', 'online')]);
    expect(t.backlog).to.equal(0);
    t.observe([status('east', 'offline')]);
    t.observe([status('east', 'offline')]); // the same state again is no transition
    await new Promise((r) => setImmediate(r));
    expect(events.open).to.equal(4);
    await events.releaseAll();
    expect(events.maxOpen).to.equal(4);
    expect(events.sent).to.have.length(50);
    expect(new Set(events.sent).size).to.equal(50);
    expect(events.sent.every((e) => e.startsWith('Warning ClusterOffline'))).to.equal(true);
  });

  it('a newer transition of the same cluster replaces Events still waiting, so a flapping member cannot pile them up', async () => {
    const events = new SlowEvents();
    const t = new TransitionEvents({ events, served: () => recordKeys(20), uid: () => 'u', writing: () => true, logger: createLogger('silent'), concurrency: 2 });
    t.observe([status('east', 'online')]);
    t.observe([status('east', 'offline')]);
    t.observe([status('east', 'online')]);
    t.observe([status('east', 'offline')]);
    await events.releaseAll();
    // The two sent first are of the first offline transition; every record then gets the last one.
    expect(events.sent.filter((e) => e.includes('ClusterOffline'))).to.have.length(22);
    expect(events.sent.filter((e) => e.includes('ClusterOnline'))).to.have.length(0);
  });

  it('records nothing on a replica that may not write', async () => {
    const events = new SlowEvents();
    const t = new TransitionEvents({ events, served: () => recordKeys(3), uid: () => 'u', writing: () => false, logger: createLogger('silent') });
    t.observe([status('east', 'online')]);
    t.observe([status('east', 'offline')]);
    await events.releaseAll();
    expect(events.sent).to.deep.equal([]);
  });
});

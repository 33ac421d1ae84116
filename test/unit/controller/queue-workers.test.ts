import { expect } from 'chai';
import { WorkQueue } from '../../../src/controller/queue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('work queue workers that stop and resume (leader election)', () => {
  it('stops the workers of one run on abort, lets the busy one finish its key, and keeps collecting keys', async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const ctrl = new AbortController();
    const running = q.run(2, async (k) => {
      seen.push(k);
      if (k === 'slow') await new Promise<void>((r) => (release = r));
    }, ctrl.signal);
    q.add('slow');
    await tick();
    expect(q.inFlight).to.equal(1);
    ctrl.abort();
    q.add('later');
    await tick();
    expect(seen, 'no new key is taken after abort').to.deep.equal(['slow']);
    let finished = false;
    void running.then(() => (finished = true));
    await tick();
    expect(finished, 'run() waits for the busy worker').to.equal(false);
    release();
    await running;
    expect(q.inFlight).to.equal(0);
    expect(q.depth, 'keys added while nobody works are kept').to.equal(1);

    const again = q.run(1, async (k) => void seen.push(k));
    await tick();
    q.shutDown();
    await again;
    expect(seen).to.deep.equal(['slow', 'later']);
  });

  it('does not lose a key to an aborted run while another run is waiting', async () => {
    const q = new WorkQueue();
    const a = new AbortController();
    const seenA: string[] = [];
    const seenB: string[] = [];
    const runA = q.run(1, async (k) => void seenA.push(k), a.signal);
    const runB = q.run(1, async (k) => void seenB.push(k));
    await tick();
    a.abort();
    await runA;
    q.add('k1');
    q.add('k2');
    await tick();
    q.shutDown();
    await runB;
    expect(seenA).to.deep.equal([]);
    expect(seenB).to.deep.equal(['k1', 'k2']);
  });

  it('returns at once from a run whose signal is already aborted', async () => {
    const q = new WorkQueue();
    q.add('x');
    const ctrl = new AbortController();
    ctrl.abort();
    const seen: string[] = [];
    await q.run(2, async (k) => void seen.push(k), ctrl.signal);
    expect(seen).to.deep.equal([]);
    expect(q.depth).to.equal(1);
  });
});

import { expect } from 'chai';
import { WorkQueue } from '../../../src/controller/runtime/queue.js';

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

  it('lets a handler that only waits give its place back: every key starts, and no more than `concurrency` work at once', async () => {
    const q = new WorkQueue();
    let open: () => void = () => undefined;
    const provider = new Promise<void>((r) => (open = r));
    const started: string[] = [];
    let working = 0;
    let maxWorking = 0;
    const work = async () => {
      working++;
      maxWorking = Math.max(maxWorking, working);
      await tick(1);
      working--;
    };
    const running = q.run(2, async (k, slot) => {
      started.push(k);
      await work();
      slot.release();
      await provider; // a slow provider batch
      await slot.reacquire();
      await work();
    });
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    await tick(50);
    expect(started, 'all ten reached their provider while it was slow').to.have.length(10);
    open();
    await tick(50);
    q.shutDown();
    await running;
    expect(maxWorking).to.be.at.most(2);
    expect(q.inFlight).to.equal(0);
  });

  it('gives a place to a handler coming back before a key not started yet', async () => {
    const q = new WorkQueue();
    const order: string[] = [];
    let open: () => void = () => undefined;
    const provider = new Promise<void>((r) => (open = r));
    const running = q.run(1, async (k, slot) => {
      order.push(`start ${k}`);
      if (k === 'waits') {
        slot.release();
        await provider;
        await slot.reacquire();
        order.push('waits is back');
        return;
      }
      if (k === 'first') open();
      await tick(5);
    });
    q.add('waits');
    await tick(5);
    q.add('first');
    q.add('second');
    await tick(60);
    q.shutDown();
    await running;
    expect(order).to.deep.equal(['start waits', 'start first', 'waits is back', 'start second']);
  });
});

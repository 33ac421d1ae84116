import { expect } from 'chai';
import { WorkQueue } from '../../../../src/controller/runtime/queue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('work queue', () => {
  it('takes keys queued by a change before keys queued by a sweep over every record', async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    for (const k of ['s1', 's2', 's3']) q.add(k, 'sweep');
    q.add('changed');
    q.add('s3'); // a swept key that changes moves up, and runs once
    const running = q.run(1, async (k) => void seen.push(k));
    await tick();
    q.shutDown();
    await running;
    expect(seen).to.deep.equal(['changed', 's3', 's1', 's2']);
  });

  it('counts a key once in its depth whichever lanes it was added to', () => {
    const q = new WorkQueue();
    q.add('a', 'sweep');
    q.add('a');
    q.add('a', 'sweep');
    expect(q.depth).to.equal(1);
    q.shutDown();
  });

  it('runs a key changed during its reconcile again in the change lane, ahead of the sweep', async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    const running = q.run(1, async (k) => {
      seen.push(k);
      if (seen.length === 1) q.add('k');
    });
    q.add('k', 'sweep');
    q.add('other', 'sweep');
    await tick(20);
    q.shutDown();
    await running;
    expect(seen).to.deep.equal(['k', 'k', 'other']);
  });

  it('queues a key once however often it is added', async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    q.add('a');
    q.add('a');
    q.add('b');
    const running = q.run(1, async (k) => void seen.push(k));
    await tick();
    q.shutDown();
    await running;
    expect(seen).to.deep.equal(['a', 'b']);
  });

  it('never gives one key to two workers, and re-runs a key added while it was processed', async () => {
    const q = new WorkQueue();
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    const running = q.run(4, async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      runs++;
      if (runs === 1) q.add('k'); // an event arriving mid-reconcile
      await tick();
      inFlight--;
    });
    q.add('k');
    await tick(40);
    q.shutDown();
    await running;
    expect(maxInFlight).to.equal(1);
    expect(runs).to.equal(2);
  });

  it('doubles the retry delay per failure and starts again after forget()', () => {
    const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 350 });
    expect([q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k')]).to.deep.equal([100, 200, 350]);
    q.resetBackoff('k');
    expect(q.failuresOf('k')).to.equal(0);
    q.shutDown();
  });

  it("never retries sooner than a server's Retry-After, and still counts the failure", () => {
    const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 350 });
    expect(q.addRateLimited('k', 2000)).to.equal(2000);
    expect(q.failuresOf('k')).to.equal(1);
    q.resetBackoff('k');
    expect(q.addRateLimited('k', 50), 'a shorter Retry-After does not cut the backoff').to.equal(100);
    q.shutDown();
  });
});

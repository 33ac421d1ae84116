import { expect } from 'chai';
import { Limiter } from '../../../src/health/limiter.js';

describe('health limiter', () => {
  it('never runs more than its limit at once, and runs everything in arrival order', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return i;
    };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => limiter.run(task(i))));
    expect(results).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(started).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).to.equal(2);
    expect(limiter.active).to.equal(0);
  });

  it('frees the slot of a task that throws', async () => {
    const limiter = new Limiter(1);
    await limiter.run(async () => Promise.reject(new Error('boom'))).catch(() => undefined);
    expect(await limiter.run(async () => 'next')).to.equal('next');
  });

  it('starts a probe of a namespace below its share at once, even while another namespace holds every place', async () => {
    const limiter = new Limiter(4);
    const hang: Array<() => void> = [];
    const stalled = () => new Promise<void>((resolve) => hang.push(resolve));
    const attacker = Array.from({ length: 10 }, () => limiter.run(stalled, 'team-b'));
    expect(limiter.active).to.equal(4);
    expect(limiter.queued).to.equal(6);
    // team-a's share is 4 / 2 namespaces = 2: it starts without waiting for team-b's places.
    let ran = 0;
    await limiter.run(async () => ran++, 'team-a');
    await limiter.run(async () => ran++, 'team-a');
    expect(ran).to.equal(2);
    // Never more than twice the limit in flight.
    const more = Array.from({ length: 6 }, (_, i) => limiter.run(stalled, `team-${i + 3}`));
    expect(limiter.active).to.be.at.most(8);
    while (hang.length > 0) {
      hang.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([...attacker, ...more]);
    expect(limiter.active).to.equal(0);
  });

  it('hands a freed place to the waiting namespace running fewest, in turn', async () => {
    const limiter = new Limiter(2);
    const release: Array<() => void> = [];
    const held = () => new Promise<void>((resolve) => release.push(resolve));
    const order: string[] = [];
    const first = [limiter.run(held, 'a'), limiter.run(held, 'a')];
    const queued = [
      limiter.run(async () => void order.push('a'), 'a'),
      limiter.run(async () => void order.push('a'), 'a'),
    ];
    // b is below its share (2 / 2 = 1): it starts at once, over the limit.
    await limiter.run(async () => void order.push('b-at-once'), 'b');
    expect(order).to.deep.equal(['b-at-once']);
    release.shift()?.();
    release.shift()?.();
    await Promise.all([...first, ...queued]);
    expect(order).to.deep.equal(['b-at-once', 'a', 'a']);
  });

  it('refuses a limit below one', () => {
    expect(() => new Limiter(0)).to.throw(/positive integer/);
  });
});

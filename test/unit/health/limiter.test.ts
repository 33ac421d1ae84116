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

  it('refuses a limit below one', () => {
    expect(() => new Limiter(0)).to.throw(/positive integer/);
  });
});

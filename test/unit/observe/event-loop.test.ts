import { expect } from 'chai';
import { EventLoopWatch } from '../../../src/observe/event-loop.js';

const busy = (ms: number): void => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // the loop is stalled: no timer can run
  }
};

describe('EventLoopWatch', () => {
  it('measures how long the event loop was stalled since a given time, and nothing before it', async () => {
    const w = new EventLoopWatch(20, 30);
    w.start();
    try {
      await new Promise((r) => setTimeout(r, 60));
      const before = Date.now();
      expect(w.stalledMs(before)).to.equal(0);
      busy(300);
      expect(w.stalledMs(before), 'a stall still going on counts').to.be.at.least(200);
      await new Promise((r) => setTimeout(r, 60));
      expect(w.stalledMs(before), 'and once measured').to.be.at.least(200);
      expect(w.stalledMs(Date.now()), 'not before the given time').to.equal(0);
    } finally {
      w.stop();
    }
  });
});

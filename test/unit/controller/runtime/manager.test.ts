import { expect } from 'chai';
import { Manager, runnable } from '../../../../src/controller/runtime/manager.js';
import { createLogger } from '../../../../src/log.js';

describe('the manager of a running controller', () => {
  it('starts its parts in order and stops them in reverse order, even when one fails to stop', async () => {
    const log: string[] = [];
    const m = new Manager(createLogger('silent'));
    for (const name of ['members', 'host view', 'workers']) {
      m.run(
        runnable(
          name,
          () => log.push(`start ${name}`),
          () => {
            log.push(`stop ${name}`);
            if (name === 'host view') throw new Error('boom');
          },
        ),
      );
    }
    await m.stop();
    expect(log).to.deep.equal(['start members', 'start host view', 'start workers', 'stop workers', 'stop host view', 'stop members']);
    await m.stop();
    expect(log, 'stops each part once').to.have.length(6);
  });
});

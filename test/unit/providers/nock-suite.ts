// nock is on only around the suites that inject faults: the real-server specs run in the same
// mocha process and need plain node:http. Call at the top of such a describe().
import { expect } from 'chai';
import nock from 'nock';

/**
 * Activates nock for the enclosing suite (network off except `allow`), checks after each passing
 * spec that every expected request was made, and gives node:http back afterwards.
 */
export function withNock(allow?: RegExp, reset: () => void = () => undefined): void {
  before(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    if (allow) nock.enableNetConnect(allow);
  });
  beforeEach(reset);
  afterEach(function () {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    if (this.currentTest?.state === 'passed') expect(pending, 'every expected request was made').to.deep.equal([]);
  });
  after(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  });
}

// The heartbeat's timeout: the configured one for a near member, grown with a far member's
// measured round trip (RFC 6298's estimator), never past half the offline grace.
import { expect } from 'chai';
import { RoundTrip } from '../../../src/observe/heartbeat.js';

describe('heartbeat: the timeout follows the round trip', () => {
  it('keeps the configured timeout for a near member, grows it for a far one, and never past the ceiling', () => {
    const near = new RoundTrip();
    expect(near.timeoutMs(3000, 15_000), 'before any sample').to.equal(3000);
    for (let i = 0; i < 20; i++) near.sample(2 + (i % 2));
    expect(near.timeoutMs(3000, 15_000)).to.equal(3000);

    const at200 = new RoundTrip();
    for (let i = 0; i < 50; i++) at200.sample(i % 10 === 0 ? 600 : 200); // one answer in ten late (a lost segment)
    expect(at200.smoothedMs).to.be.within(200, 400);
    expect(at200.timeoutMs(3000, 15_000), 'the floor still covers 200 ms with loss').to.equal(3000);

    const satellite = new RoundTrip();
    for (let i = 0; i < 50; i++) satellite.sample(1200);
    expect(satellite.timeoutMs(3000, 15_000)).to.be.within(3600, 3700);
    const worse = new RoundTrip();
    for (let i = 0; i < 50; i++) worse.sample(9000);
    expect(worse.timeoutMs(3000, 15_000), 'at most half the grace').to.equal(15_000);
  });
});

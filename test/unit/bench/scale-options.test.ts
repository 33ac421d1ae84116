// The scale bench's plan, decided from its options before anything starts: the members' round
// trip and loss, the runs (the plain fleet first, then the realistic one), and which real API
// server backs which member when there are fewer servers than members.
import { expect } from 'chai';
import { count, parseMemberRtt, placeMembers, planRuns, PLAIN } from '../../bench/scale/variants.js';

describe('bench/scale: options and plan', () => {
  it('reads --member-rtt as a round trip with an optional loss', () => {
    expect(parseMemberRtt('100')).to.deep.equal({ rttMs: 100, lossPct: 0 });
    expect(parseMemberRtt('200,1')).to.deep.equal({ rttMs: 200, lossPct: 1 });
    expect(parseMemberRtt(' 200, 0.5% ')).to.deep.equal({ rttMs: 200, lossPct: 0.5 });
    expect(parseMemberRtt('0')).to.deep.equal({ rttMs: 0, lossPct: 0 });
  });

  it('refuses a --member-rtt it cannot take, naming the flag', () => {
    for (const bad of ['', 'far', '-5', '100,', '100,1,2', '100,100']) expect(() => parseMemberRtt(bad), bad).to.throw(/--member-rtt/);
    expect(() => parseMemberRtt('0,1')).to.throw(/a loss needs a round trip/);
  });

  it('takes 0 or a whole number for --background and --churn, and refuses the rest', () => {
    expect(count('churn', '0')).to.equal(0);
    expect(count('background', '10000')).to.equal(10000);
    for (const bad of ['-1', '1.5', 'lots', '']) expect(() => count('background', bad), bad).to.throw(/--background must be a whole number/);
  });

  it('runs only the plain fleet when the members are plain, else the plain one first, then the realistic one, per N and K', () => {
    expect(planRuns([1000], [10], undefined, PLAIN).map((r) => r.variant)).to.deep.equal(['plain']);
    const far = { memberRttMs: 100, memberLossPct: 0, background: 10000, churnPerS: 50 };
    const runs = planRuns([1000, 10000], [10, 50], 10, far);
    expect(runs.map((r) => `${r.records}×${r.clusters}/${r.apiServers} ${r.variant}`)).to.deep.equal([
      '1000×10/10 plain',
      '1000×10/10 realistic',
      '10000×10/10 plain',
      '10000×10/10 realistic',
      '1000×50/10 plain',
      '1000×50/10 realistic',
      '10000×50/10 plain',
      '10000×50/10 realistic',
    ]);
    expect(runs.filter((r) => r.variant === 'plain').every((r) => r.reality === PLAIN)).to.equal(true);
    expect(runs.filter((r) => r.variant === 'realistic').every((r) => r.reality === far)).to.equal(true);
  });

  it('gives each member its own API server when there are enough, the fleet in the usual namespace', () => {
    expect(placeMembers(3, 3, 'bench')).to.deep.equal([
      { member: 'member1', server: 0, namespace: 'bench' },
      { member: 'member2', server: 1, namespace: 'bench' },
      { member: 'member3', server: 2, namespace: 'bench' },
    ]);
  });

  it('spreads more members than API servers round robin, each with a namespace of its own there', () => {
    const placed = placeMembers(50, 10, 'bench');
    expect(placed).to.have.length(50);
    expect(new Set(placed.map((p) => p.namespace)).size).to.equal(50);
    expect(placed[0]).to.deep.equal({ member: 'member1', server: 0, namespace: 'bench-m1' });
    expect(placed[10]).to.deep.equal({ member: 'member11', server: 0, namespace: 'bench-m11' });
    for (let s = 0; s < 10; s++) expect(placed.filter((p) => p.server === s), `server ${s}`).to.have.length(5);
    expect(() => placeMembers(5, 6, 'bench')).to.throw(/6 API servers for 5 members/);
  });
});

// The scale bench takes each load-balancer change apart from the counting proxy's request log:
// how long until mcdns's PATCH arrived, the PATCH itself, and the wait for the answer after it.
import { expect } from 'chai';
import { changeParts } from '../../bench/scale/changes.js';

const zone = 'PATCH /api/v1/servers/localhost/zones/{zone}';
const read = 'GET /api/v1/servers/localhost/zones/{zone}';
const patch = (at: number, doneAt?: number) => ({ at, ...(doneAt !== undefined ? { doneAt } : {}), method: 'PATCH', route: zone });

describe('bench/scale: a change taken apart', () => {
  it('times the PATCH that carried the change and what came before and after it', () => {
    const parts = changeParts([patch(900, 950), patch(1012, 1060)], 1000, 1070);
    expect(parts).to.deep.equal({ patches: 1, readInTheWay: false, toPatchMs: 12, patchMs: 48, afterPatchMs: 10 });
  });

  it('counts every PATCH between the change and its answer; the last one sent before it carried the change', () => {
    const parts = changeParts([patch(1010, 1300), patch(1305, 1400), patch(1500)], 1000, 1420);
    expect(parts).to.deep.equal({ patches: 2, readInTheWay: false, toPatchMs: 10, patchMs: 95, afterPatchMs: 20 });
  });

  it('says so when PowerDNS served the change before it answered the PATCH (a negative wait)', () => {
    const parts = changeParts([patch(1010, 1300)], 1000, 1290);
    expect(parts).to.deep.equal({ patches: 1, readInTheWay: false, toPatchMs: 10, patchMs: 290, afterPatchMs: -10 });
  });

  it('says when a zone read was in flight before mcdns wrote', () => {
    const parts = changeParts([{ at: 980, doneAt: 1800, method: 'GET', route: read }, patch(1810, 1850)], 1000, 1860);
    expect(parts.readInTheWay).to.equal(true);
    expect(parts.toPatchMs).to.equal(810);
    expect(changeParts([{ at: 900, doneAt: 990, method: 'GET', route: read }, patch(1010, 1050)], 1000, 1060).readInTheWay, 'over before the change').to.equal(false);
  });

  it('leaves out what was not seen: no PATCH, or no answer', () => {
    expect(changeParts([], 1000, undefined)).to.deep.equal({ patches: 0, readInTheWay: false });
    expect(changeParts([patch(1010)], 1000, undefined)).to.deep.equal({ patches: 1, readInTheWay: false, toPatchMs: 10 });
  });
});

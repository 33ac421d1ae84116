// SharedCopies: one copy of a recurring value, bounded.
import { expect } from 'chai';
import { SharedCopies } from '../../../src/core/shared-copies.js';

describe('core/shared-copies: one copy of values that recur', () => {
  it('hands back the copy kept under an id, and makes one only for a new id', () => {
    const copies = new SharedCopies<string[]>(10);
    const first = copies.of('a,b', () => ['a', 'b']);
    let made = 0;
    expect(copies.of('a,b', () => (made++, ['a', 'b']))).to.equal(first);
    expect(made).to.equal(0);
    expect(copies.of('c', () => ['c'])).to.deep.equal(['c']);
  });

  it('starts over when full: a value kept before is made again, what was handed out stays as it was', () => {
    const copies = new SharedCopies<{ id: number }>(2);
    const a = copies.of('a', () => ({ id: 1 }));
    copies.of('b', () => ({ id: 2 }));
    copies.of('c', () => ({ id: 3 }));
    const again = copies.of('a', () => ({ id: 1 }));
    expect(again).to.not.equal(a);
    expect(again).to.deep.equal(a);
    expect(a).to.deep.equal({ id: 1 });
  });
});

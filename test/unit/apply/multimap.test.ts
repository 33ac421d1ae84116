// The index the sink and the zone content keep of names and resources: one string per key as
// itself, a Set only for several, and the same answers either way.
import { expect } from 'chai';
import { StringMultiMap } from '../../../src/apply/multimap.js';

describe('apply/multimap: keys to one or several strings', () => {
  it('adds, counts and deletes, whether a key holds one string or several', () => {
    const m = new StringMultiMap();
    expect([...m.get('a')]).to.deep.equal([]);
    expect(m.count('a')).to.equal(0);
    m.add('a', 'x');
    m.add('a', 'x');
    expect([...m.get('a')]).to.deep.equal(['x']);
    expect(m.count('a')).to.equal(1);
    m.add('a', 'y');
    m.add('a', 'z');
    m.add('b', 'x');
    expect([...m.get('a')]).to.deep.equal(['x', 'y', 'z']);
    expect(m.count('a')).to.equal(3);
    expect([...m.keys()]).to.deep.equal(['a', 'b']);
    m.delete('a', 'x');
    m.delete('a', 'nothing');
    m.delete('c', 'x');
    expect([...m.get('a')]).to.deep.equal(['y', 'z']);
    m.delete('a', 'y');
    expect([...m.get('a')]).to.deep.equal(['z']);
    m.add('a', 'w');
    expect([...m.get('a')]).to.deep.equal(['z', 'w']);
    m.delete('a', 'z');
    m.delete('a', 'w');
    m.delete('b', 'y');
    expect(m.count('a')).to.equal(0);
    expect([...m.keys()]).to.deep.equal(['b']);
    m.delete('b', 'x');
    expect([...m.keys()]).to.deep.equal([]);
  });
});

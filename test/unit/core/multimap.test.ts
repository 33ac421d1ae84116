// MultiMap: an index from a key to values named by id, as the claims and record indexes use it.
import { expect } from 'chai';
import { MultiMap, identityMultiMap } from '../../../src/core/multimap.js';

interface Item {
  id: string;
  note?: string;
}

describe('core/multimap: key → values by id', () => {
  const items = () => new MultiMap<Item>((i) => i.id);

  it('answers nothing for a key never added', () => {
    const m = items();
    expect(m.get('a')).to.deep.equal([]);
    expect(m.has('a', 'x')).to.equal(false);
  });

  it('keeps one value, then several, in the order they were added', () => {
    const m = items();
    m.add('a', { id: 'x' });
    expect(m.get('a')).to.deep.equal([{ id: 'x' }]);
    m.add('a', { id: 'y' });
    m.add('a', { id: 'z' });
    expect(m.get('a').map((i) => i.id)).to.deep.equal(['x', 'y', 'z']);
    expect(m.has('a', 'y')).to.equal(true);
    expect(m.get('b')).to.deep.equal([]);
  });

  it('replaces a value added again under the same id, whether alone or among others', () => {
    const m = items();
    m.add('a', { id: 'x', note: 'old' });
    m.add('a', { id: 'x', note: 'new' });
    expect(m.get('a')).to.deep.equal([{ id: 'x', note: 'new' }]);
    m.add('a', { id: 'y' });
    m.add('a', { id: 'y', note: 'again' });
    expect(m.get('a')).to.deep.equal([{ id: 'x', note: 'new' }, { id: 'y', note: 'again' }]);
  });

  it('removes by id down to one value and then to none; removing what is not there changes nothing', () => {
    const m = items();
    m.add('a', { id: 'x' });
    m.add('a', { id: 'y' });
    m.remove('a', 'nope');
    m.remove('b', 'x');
    expect(m.get('a')).to.have.length(2);
    m.remove('a', 'x');
    expect(m.get('a')).to.deep.equal([{ id: 'y' }]);
    m.remove('a', 'x');
    expect(m.get('a')).to.deep.equal([{ id: 'y' }]);
    m.remove('a', 'y');
    expect(m.get('a')).to.deep.equal([]);
    expect(m.has('a', 'y')).to.equal(false);
    m.add('a', { id: 'z' });
    expect(m.get('a')).to.deep.equal([{ id: 'z' }]);
  });

  it('keeps strings as their own ids: adds, counts and removes, whether a key holds one or several', () => {
    const m = identityMultiMap<string>();
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
    m.remove('a', 'x');
    m.remove('a', 'nothing');
    m.remove('c', 'x');
    expect([...m.get('a')]).to.deep.equal(['y', 'z']);
    m.remove('a', 'y');
    expect([...m.get('a')]).to.deep.equal(['z']);
    m.add('a', 'w');
    expect([...m.get('a')]).to.deep.equal(['z', 'w']);
    m.remove('a', 'z');
    m.remove('a', 'w');
    m.remove('b', 'y');
    expect(m.count('a')).to.equal(0);
    expect([...m.keys()]).to.deep.equal(['b']);
    m.remove('b', 'x');
    expect([...m.keys()]).to.deep.equal([]);
  });
});

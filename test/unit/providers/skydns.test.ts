import { expect } from 'chai';
import { toRecords } from '../../../providers/coredns-etcd/provider.js';
import { carries, entryId, hostType, keyForName, nameForKey, parseValue, without } from '../../../providers/coredns-etcd/skydns.js';

describe('providers/coredns-etcd: SkyDNS layout', () => {
  it('keys a name by its reversed labels under the prefix', () => {
    expect(keyForName('/skydns', 'www.Example.org.')).to.equal('/skydns/org/example/www');
    expect(keyForName('skydns/', 'example.org')).to.equal('/skydns/org/example');
  });

  it('reads the name back, dropping targetstrip id labels as ExternalDNS does', () => {
    expect(nameForKey('/skydns/', '/skydns/org/example/www/3f31b771', 1)).to.equal('www.example.org');
    expect(nameForKey('/skydns/', '/skydns/org/example/www', 0)).to.equal('www.example.org');
    expect(nameForKey('/skydns/', '/other/org/example/www', 0)).to.equal(undefined);
  });

  it('infers the type from the host as CoreDNS does', () => {
    expect([hostType('192.0.2.1'), hostType('2001:db8::1'), hostType('lb.example.net')]).to.deep.equal(['A', 'AAAA', 'CNAME']);
  });

  it('gives one target of one type always the same 8-hex id', () => {
    expect(entryId('A', '192.0.2.1')).to.match(/^[0-9a-f]{8}$/).and.to.equal(entryId('A', '192.0.2.1'));
    expect(entryId('A', '192.0.2.1')).to.not.equal(entryId('A', '192.0.2.2'));
    expect(entryId('CNAME', 'LB.example.net.')).to.equal(entryId('CNAME', 'lb.example.net'));
  });

  it('splits a key carrying host and text into an A and a TXT, and can drop one aspect', () => {
    const value = { host: '192.0.2.1', text: '"heritage=external-dns,external-dns/owner=x"', ttl: 60, targetstrip: 1 };
    const records = toRecords([{ key: '/skydns/org/example/www/1', name: 'www.example.org', value, modRevision: '1' }]);
    expect(records).to.deep.equal([
      { name: 'www.example.org', type: 'A', ttl: 60, targets: ['192.0.2.1'] },
      { name: 'www.example.org', type: 'TXT', ttl: 60, targets: ['"heritage=external-dns,external-dns/owner=x"'] },
    ]);
    expect(carries(value, 'A') && carries(value, 'TXT') && !carries(value, 'AAAA')).to.equal(true);
    expect(without(value, 'A')).to.deep.equal({ text: value.text, ttl: 60, targetstrip: 1 });
    expect(without({ host: '192.0.2.1' }, 'A')).to.equal(undefined);
  });

  it('ignores values that are not JSON objects', () => {
    expect(parseValue('not json')).to.equal(undefined);
    expect(parseValue('[1]')).to.equal(undefined);
    expect(parseValue('{"host":"x"}')).to.deep.equal({ host: 'x' });
  });
});

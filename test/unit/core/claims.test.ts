// One owner per name: the pure decision.
import { expect } from 'chai';
import { compareClaims, holderOf, judgeClaims, lostMessage, withoutNames, type Claim } from '../../../src/core/claims.js';

const claim = (namespace: string, name: string, createdAt?: string, kind = 'IngressDNSRecord'): Claim => ({
  record: `${kind}/${namespace}/${name}`,
  kind,
  namespace,
  name,
  ...(createdAt ? { createdAt } : {}),
});
const victim = claim('team-a', 'victim', '2026-01-01T00:00:00Z');
const attacker = claim('team-b', 'attacker', '2026-01-02T00:00:00Z');

describe('claims: who holds a name', () => {
  it('gives a name to the oldest claim', () => {
    expect(holderOf([attacker, victim])).to.equal(victim);
    expect(compareClaims(victim, attacker)).to.be.below(0);
  });

  it('breaks a tie of creation time by namespace, then name, then kind, so every replica decides the same', () => {
    const t = '2026-01-01T00:00:00Z';
    expect(holderOf([claim('b', 'x', t), claim('a', 'z', t)])?.namespace).to.equal('a');
    expect(holderOf([claim('a', 'y', t), claim('a', 'x', t)])?.name).to.equal('x');
    expect(holderOf([claim('a', 'x', t, 'ServiceDNSRecord'), claim('a', 'x', t, 'IngressDNSRecord')])?.kind).to.equal('IngressDNSRecord');
  });

  it('puts a claim without a creation time last', () => {
    expect(holderOf([claim('a', 'new'), attacker])).to.equal(attacker);
  });

  it('tells a younger claimant which names it lost and to whom, and the holder which names are contested', () => {
    const claims: Record<string, Claim[]> = { 'www.hj.test': [victim, attacker], 'own.hj.test': [attacker] };
    const on = (n: string) => claims[n] ?? [];
    const lost = judgeClaims(attacker, ['www.hj.test', 'own.hj.test'], on);
    expect(lost.lost).to.deep.equal([{ name: 'www.hj.test', holder: victim }]);
    expect(lost.contested).to.deep.equal([]);
    const held = judgeClaims(victim, ['www.hj.test'], on);
    expect(held).to.deep.equal({ lost: [], contested: [{ name: 'www.hj.test', others: [attacker] }] });
    expect(lostMessage(lost.lost)).to.equal(
      'www.hj.test is held by IngressDNSRecord team-a/victim (an older claim since 2026-01-01T00:00:00Z): not published here',
    );
  });

  it('drops the endpoints of lost names only, whatever their spelling', () => {
    const endpoints = [
      { dnsName: 'WWW.hj.test.', recordType: 'A', targets: ['192.0.2.2'] },
      { dnsName: 'own.hj.test', recordType: 'A', targets: ['192.0.2.2'] },
    ];
    expect(withoutNames(endpoints, ['www.hj.test']).map((e) => e.dnsName)).to.deep.equal(['own.hj.test']);
  });
});

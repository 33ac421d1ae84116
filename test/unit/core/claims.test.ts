// One owner per name: the pure decision.
import { expect } from 'chai';
import {
  claimTimes,
  claimTimesStatus,
  compareClaims,
  contests,
  judgeClaims,
  lostMessage,
  withoutNames,
  type Claim,
} from '../../../src/core/claims.js';

const by = (namespace: string, name: string, kind = 'IngressDNSRecord') => ({ record: `${kind}/${namespace}/${name}`, kind, namespace, name });
const at = (iso: string) => Date.parse(iso);
const claim = (namespace: string, name: string, dnsName: string, since: string, extra: Partial<Claim> = {}, kind = 'IngressDNSRecord'): Claim => ({
  by: by(namespace, name, kind),
  name: dnsName,
  at: at(since),
  ...extra,
});
const victim = claim('team-a', 'victim', 'www.hj.test', '2026-01-01T00:00:00Z');
const attacker = claim('team-b', 'attacker', 'www.hj.test', '2026-01-02T00:00:00Z');

/** judgeClaims over a fixed set of claims, every claim a rival of every other. */
function judge(mine: Claim[], all: Claim[]) {
  return judgeClaims(mine, () => all);
}

describe('claims: who holds a name', () => {
  it('gives a name to the oldest claim', () => {
    expect(compareClaims(victim, attacker)).to.be.below(0);
    expect(judge([attacker], [victim, attacker]).lost.map((l) => l.holder)).to.deep.equal([victim]);
  });

  it('breaks a tie of claim time by namespace, then name, then kind, so every replica decides the same', () => {
    const t = '2026-01-01T00:00:00Z';
    expect(compareClaims(claim('a', 'z', 'x.test', t), claim('b', 'x', 'x.test', t))).to.be.below(0);
    expect(compareClaims(claim('a', 'x', 'x.test', t), claim('a', 'y', 'x.test', t))).to.be.below(0);
    expect(compareClaims(claim('a', 'x', 'x.test', t, {}, 'IngressDNSRecord'), claim('a', 'x', 'x.test', t, {}, 'ServiceDNSRecord'))).to.be.below(0);
  });

  it('tells a younger claimant which names it lost and to whom, and the holder which names are contested', () => {
    const own = claim('team-b', 'attacker', 'own.hj.test', '2026-01-02T00:00:00Z');
    const lost = judge([attacker, own], [victim, attacker, own]);
    expect(lost.lost.map((l) => [l.name, l.holder])).to.deep.equal([['www.hj.test', victim]]);
    expect(lost.contested).to.deep.equal([]);
    const held = judge([victim], [victim, attacker]);
    expect(held).to.deep.equal({ lost: [], contested: [{ name: 'www.hj.test', others: [attacker] }] });
    expect(lostMessage(lost.lost)).to.equal(
      'www.hj.test is held by IngressDNSRecord team-a/victim (an older claim since 2026-01-01T00:00:00.000Z): not published here',
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

describe('claims: a claim is as old as the moment its record claimed the name', () => {
  const now = new Date('2026-06-01T00:00:00Z');

  it('keeps the time this process holds, else the one status.claims records', () => {
    const times = claimTimes(['a.test', 'b.test'], {
      held: (n) => (n === 'a.test' ? at('2026-02-01T00:00:00Z') : undefined),
      recorded: [{ name: 'b.test', since: '2026-03-01T00:00:00.000Z' }],
      createdAt: '2025-01-01T00:00:00Z',
      now,
    });
    expect(claimTimesStatus(times)).to.deep.equal([
      { name: 'a.test', since: '2026-02-01T00:00:00.000Z' },
      { name: 'b.test', since: '2026-03-01T00:00:00.000Z' },
    ]);
  });

  it('dates a name an old record adds to its spec from now, not from the record\'s creation', () => {
    // team-b's record from 2025 already has recorded claims: shop.example.org is new to it.
    const times = claimTimes(['dummy.example.org', 'shop.example.org'], {
      recorded: [{ name: 'dummy.example.org', since: '2025-01-01T00:00:00.000Z' }],
      createdAt: '2025-01-01T00:00:00Z',
      now,
    });
    expect(times.get('shop.example.org')).to.equal(now.getTime());
    const teamA = claim('team-a', 'shop', 'shop.example.org', '2026-03-01T00:00:00Z');
    const teamB: Claim = { by: by('team-b', 'old'), name: 'shop.example.org', at: times.get('shop.example.org') as number };
    expect(judge([teamB], [teamA, teamB]).lost.map((l) => l.holder)).to.deep.equal([teamA]);
  });

  it('dates the names of a record mcdns never recorded claims for from its creation (what an upgrade keeps)', () => {
    const times = claimTimes(['x.test'], { createdAt: '2025-01-01T00:00:00Z', now });
    expect(times.get('x.test')).to.equal(at('2025-01-01T00:00:00Z'));
  });
});

describe('claims: ownership TXT names belong to the names they are derived from', () => {
  const shop = claim('team-a', 'shop', 'shop.example.org', '2026-03-01T00:00:00Z');
  const shopTxt = claim('team-a', 'shop', 'a-shop.example.org', '2026-03-01T00:00:00Z', { txtOf: 'shop.example.org' });
  const squatter = claim('team-b', 'squat', 'a-shop.example.org', '2025-01-01T00:00:00Z');

  it('gives a TXT name to the record of its name, even against an older claim on it as a host', () => {
    expect(compareClaims(shopTxt, squatter)).to.be.below(0);
    const verdict = judge([squatter], [shop, shopTxt, squatter]);
    expect(verdict.lost.map((l) => l.name)).to.deep.equal(['a-shop.example.org']);
    expect(lostMessage(verdict.lost)).to.equal(
      'a-shop.example.org is the ownership TXT name of shop.example.org, claimed by IngressDNSRecord team-a/shop: not published here',
    );
    expect(judge([shop, shopTxt], [shop, shopTxt, squatter]).lost).to.deep.equal([]);
  });

  it('loses a name whose TXT name an older claim holds as a TXT name too, and says which', () => {
    const older = claim('team-c', 'other', 'a-shop.example.org', '2025-01-01T00:00:00Z', { txtOf: 'shop.example.org' });
    const verdict = judge([shop, shopTxt], [older, shop, shopTxt]);
    expect(verdict.lost.map((l) => l.name)).to.deep.equal(['shop.example.org']);
    expect(lostMessage(verdict.lost)).to.contain('shop.example.org: its ownership TXT name a-shop.example.org is held by IngressDNSRecord team-c/other');
  });
});

describe('claims: a wildcard and the names below it (RFC 4592)', () => {
  const www = claim('team-a', 'www', 'www.shop.example.org', '2026-01-01T00:00:00Z');
  const wild = claim('team-b', 'wild', '*.shop.example.org', '2026-02-01T00:00:00Z');

  it('contests names below it in other namespaces only, and never the TXT names', () => {
    expect(contests(wild, www)).to.equal(true);
    expect(contests(wild, claim('team-c', 'deep', 'x.y.shop.example.org', '2026-01-01T00:00:00Z'))).to.equal(true);
    expect(contests(wild, claim('team-b', 'own', 'api.shop.example.org', '2026-01-01T00:00:00Z'))).to.equal(false);
    expect(contests(wild, claim('team-c', 'apex', 'shop.example.org', '2026-01-01T00:00:00Z'))).to.equal(false);
    expect(contests(wild, claim('team-a', 'www', 'a-www.shop.example.org', '2026-01-01T00:00:00Z', { txtOf: 'www.shop.example.org' }))).to.equal(false);
  });

  it('keeps a younger wildcard out while an older claim holds a name below it, and the reverse', () => {
    const verdict = judge([wild], [www, wild]);
    expect(verdict.lost.map((l) => [l.name, l.holder.name])).to.deep.equal([['*.shop.example.org', 'www.shop.example.org']]);
    expect(lostMessage(verdict.lost)).to.contain('*.shop.example.org covers www.shop.example.org, held by IngressDNSRecord team-a/www');
    const older = { ...wild, at: at('2025-01-01T00:00:00Z') };
    expect(judge([www], [www, older]).lost.map((l) => l.name)).to.deep.equal(['www.shop.example.org']);
    expect(lostMessage(judge([www], [www, older]).lost)).to.contain('www.shop.example.org is below the wildcard *.shop.example.org');
  });
});

describe('claims: on a provider answering a name with every record below it (CoreDNS etcd)', () => {
  const shop = claim('team-a', 'shop', 'shop.example.org', '2026-01-01T00:00:00Z');
  const evil = claim('team-b', 'evil', 'evil.shop.example.org', '2026-02-01T00:00:00Z');

  it('makes a name and the names below it contest each other between namespaces, there only', () => {
    expect(contests(shop, evil, true)).to.equal(true);
    expect(contests(shop, evil)).to.equal(false);
    expect(contests(shop, claim('team-a', 'www', 'www.shop.example.org', '2026-02-01T00:00:00Z'), true)).to.equal(false);
  });

  it('keeps the younger of the two out, saying which is above which', () => {
    const verdict = judgeClaims([evil], () => [shop, evil], true);
    expect(lostMessage(verdict.lost)).to.equal(
      'evil.shop.example.org is below shop.example.org, held by IngressDNSRecord team-a/shop (an older claim since 2026-01-01T00:00:00.000Z): ' +
        'the DNS provider answers a name with every record below it: not published here',
    );
    const older = { ...evil, at: at('2025-01-01T00:00:00Z') };
    expect(lostMessage(judgeClaims([shop], () => [shop, older], true).lost)).to.contain('shop.example.org is above evil.shop.example.org');
  });
});

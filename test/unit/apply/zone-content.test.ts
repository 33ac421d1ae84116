// The sink plans one record over only the names it touches (ZoneContent.namesFor): that plan must
// be the plan over the whole zone, whatever the TXT naming, and the ownership index must follow
// every write.
import { expect } from 'chai';
import type { Endpoint } from '../../../src/api/schema.js';
import { ZoneContent } from '../../../src/apply/zone-content.js';
import { planRecord } from '../../../src/plan/plan.js';
import type { DnsRecord } from '../../../src/plan/records.js';
import { formatOwnership, oldFormatTxtNameFor, ownershipConfig, txtNameFor, type OwnershipConfig } from '../../../src/plan/ownership.js';

const R1 = 'ingressdnsrecord/shop/web';
const R2 = 'servicednsrecord/shop/api';
const zone = 'example.org';
const ep = (dnsName: string, recordType: string, targets: string[]): Endpoint => ({ dnsName, recordType, targets, recordTTL: 60 });

function zoneRecords(cfg: OwnershipConfig): DnsRecord[] {
  const own = (name: string, type: string, resource: string, owner = 'mcdns'): DnsRecord => ({
    name: txtNameFor(name, type, cfg),
    type: 'TXT',
    ttl: 60,
    targets: [formatOwnership({ owner, resource })],
  });
  const a = (name: string, ip: string): DnsRecord => ({ name, type: 'A', ttl: 60, targets: [ip] });
  return [
    { name: zone, type: 'NS', ttl: 3600, targets: ['ns1.example.org'] },
    // R1: www (A, new format), old.example.org (old-format TXT), an orphan TXT, and a CNAME to replace.
    a('www.example.org', '192.0.2.1'),
    own('www.example.org', 'A', R1),
    a('old.example.org', '192.0.2.2'),
    { name: oldFormatTxtNameFor('old.example.org', cfg), type: 'TXT', ttl: 60, targets: [formatOwnership({ owner: 'mcdns', resource: R1 })] },
    own('gone.example.org', 'A', R1),
    { name: 'alias.example.org', type: 'CNAME', ttl: 60, targets: ['lb.example.net'] },
    own('alias.example.org', 'CNAME', R1),
    // R2's name, a foreign owner's, and one without owner.
    a('api.example.org', '192.0.2.3'),
    own('api.example.org', 'A', R2),
    a('shop.example.org', '198.51.100.7'),
    own('shop.example.org', 'A', 'crd/default/shop', 'external-dns'),
    a('legacy.example.org', '198.51.100.8'),
    // Nothing to do with R1: left out of its plan's input.
    a('elsewhere.example.org', '192.0.2.4'),
    own('elsewhere.example.org', 'A', R2),
  ];
}

const desired = [
  ep('www.example.org', 'A', ['192.0.2.9']),
  ep('www.example.org', 'AAAA', ['2001:db8::9']),
  ep('alias.example.org', 'A', ['192.0.2.10']),
  ep('api.example.org', 'A', ['192.0.2.11']),
  ep('shop.example.org', 'A', ['192.0.2.12']),
  ep('legacy.example.org', 'A', ['192.0.2.13']),
  ep('new.example.org', 'A', ['192.0.2.14']),
];

describe('apply/zone-content: planning over the names a record touches', () => {
  const configs: Array<[string, OwnershipConfig]> = [
    ['default', ownershipConfig({ ownerId: 'mcdns' })],
    ['--txt-prefix=cname-', ownershipConfig({ ownerId: 'mcdns', txtPrefix: 'cname-' })],
    ['--txt-suffix=-own', ownershipConfig({ ownerId: 'mcdns', txtSuffix: '-own' })],
    ['--txt-prefix=%{record_type}.', ownershipConfig({ ownerId: 'mcdns', txtPrefix: '%{record_type}.' })],
  ];
  for (const [label, cfg] of configs) {
    it(`plans exactly as over the whole zone (${label})`, () => {
      const records = zoneRecords(cfg);
      const content = new ZoneContent(zone, records, cfg);
      const input = { resource: R1, endpoints: desired, zones: [zone], ownership: cfg, policy: 'sync' as const };
      const whole = planRecord({ ...input, current: [{ zone, records }] });
      const names = content.namesFor(R1, desired.map((e) => e.dnsName));
      const subset = [...names].flatMap((n) => content.at(n));
      const part = planRecord({ ...input, current: [{ zone, records: subset }] });
      expect(part).to.deep.equal(whole);
      expect(subset.some((r) => r.name.includes('elsewhere'))).to.equal(false);
      // The plan does something: deletes the orphan and old-format leftovers, reports the conflicts.
      expect(whole.zones[0]?.changes.length).to.be.greaterThan(3);
      expect(whole.conflicts.map((c) => c.name).sort()).to.deep.equal(['api.example.org', 'legacy.example.org', 'shop.example.org']);
    });
  }

  it('keeps the ownership index with every write and tells which names changed at a re-read', () => {
    const cfg = ownershipConfig({ ownerId: 'mcdns' });
    const content = new ZoneContent(zone, zoneRecords(cfg), cfg);
    expect([...content.ownedBy(R1)].sort()).to.deep.equal(['a-gone.example.org', 'a-www.example.org', 'cname-alias.example.org', 'old.example.org']);
    expect(content.owners().sort()).to.deep.equal([R1, R2]);
    content.apply([
      { action: 'delete', record: { name: 'a-gone.example.org', type: 'TXT', ttl: 60, targets: [] } },
      { action: 'create', record: { name: 'a-new.example.org', type: 'TXT', ttl: 60, targets: [formatOwnership({ owner: 'mcdns', resource: R2 })] } },
    ]);
    expect(content.ownedBy(R1).has('a-gone.example.org')).to.equal(false);
    expect(content.ownerOfTxt('a-new.example.org')).to.equal(R2);
    expect([...content.ownersAround('new.example.org')]).to.deep.equal([R2]);
    const reread = new ZoneContent(zone, zoneRecords(cfg).filter((r) => r.name !== 'legacy.example.org'), cfg);
    // (the re-read still has a-gone and lacks a-new, which only this content wrote)
    expect([...content.changedNames(reread)].sort()).to.deep.equal(['a-gone.example.org', 'a-new.example.org', 'legacy.example.org']);
  });

  it('keeps one or several record sets per name, normalised, and a fork writes only to itself', () => {
    const cfg = ownershipConfig({ ownerId: 'mcdns' });
    const a = (ip: string): DnsRecord => ({ name: 'www.example.org', type: 'A', ttl: 60, targets: [ip] });
    const aaaa: DnsRecord = { name: 'www.example.org', type: 'AAAA', ttl: 60, targets: ['2001:db8::1'] };
    const content = new ZoneContent(zone, [a('192.0.2.1'), { ...aaaa, name: 'WWW.example.org.', type: 'aaaa' }], cfg);
    expect(content.at('www.example.org')).to.deep.equal([a('192.0.2.1'), aaaa]);
    const fork = content.fork();
    fork.apply([
      { action: 'update', record: a('192.0.2.2'), previous: a('192.0.2.1') },
      { action: 'delete', record: aaaa },
      { action: 'delete', record: { name: 'x.example.org', type: 'A', ttl: 60, targets: [] } },
      { action: 'create', record: { name: 'new.example.org', type: 'A', ttl: 60, targets: ['192.0.2.3'] } },
    ]);
    expect(fork.at('www.example.org')).to.deep.equal([a('192.0.2.2')]);
    expect(fork.at('new.example.org')).to.have.length(1);
    expect(content.at('www.example.org')).to.deep.equal([a('192.0.2.1'), aaaa]);
    expect(content.at('new.example.org')).to.deep.equal([]);
    // A record set the fork deletes is gone from it, not read through from the parent.
    const forkOfFork = fork.fork();
    forkOfFork.apply([{ action: 'delete', record: a('192.0.2.2') }]);
    expect(forkOfFork.at('www.example.org')).to.deep.equal([]);
    expect(fork.at('www.example.org')).to.deep.equal([a('192.0.2.2')]);
    // An update keeps the record set's place among those at the name.
    content.apply([{ action: 'update', record: a('192.0.2.9'), previous: a('192.0.2.1') }]);
    expect(content.at('www.example.org').map((r) => r.type)).to.deep.equal(['A', 'AAAA']);
    content.apply([{ action: 'delete', record: a('192.0.2.9') }, { action: 'delete', record: aaaa }]);
    expect(content.at('www.example.org')).to.deep.equal([]);
    expect([...content.changedNames(new ZoneContent(zone, [], cfg))]).to.deep.equal([]);
  });

  it('moves an ownership TXT between resources, and drops it from the index once foreign', () => {
    const cfg = ownershipConfig({ ownerId: 'mcdns' });
    const txt = (owner: string, resource: string): DnsRecord => ({ name: 'a-www.example.org', type: 'TXT', ttl: 60, targets: [formatOwnership({ owner, resource })] });
    const content = new ZoneContent(zone, [txt('mcdns', R1)], cfg);
    content.apply([{ action: 'update', record: txt('mcdns', R2), previous: txt('mcdns', R1) }]);
    expect(content.owners()).to.deep.equal([R2]);
    expect(content.ownerOfTxt('a-www.example.org')).to.equal(R2);
    content.apply([{ action: 'update', record: txt('someone-else', R2), previous: txt('mcdns', R2) }]);
    expect(content.owners()).to.deep.equal([]);
    expect(content.ownerOfTxt('a-www.example.org')).to.equal(undefined);
    expect(content.ownedBy(R2).size).to.equal(0);
  });

  it('a re-read keeps holding the record sets it already held when they are equal (one copy of a steady zone), and takes what changed', () => {
    const cfg = ownershipConfig({ ownerId: 'mcdns' });
    const first = new ZoneContent(zone, zoneRecords(cfg), cfg);
    const fresh = JSON.parse(JSON.stringify(zoneRecords(cfg))) as DnsRecord[];
    const www = fresh.find((r) => r.name === 'www.example.org' && r.type === 'A')!;
    www.targets = ['192.0.2.9'];
    const api = fresh.find((r) => r.name === 'api.example.org')!;
    api.meta = { etag: 'v2' };
    const second = new ZoneContent(zone, fresh, cfg, first);
    expect(second.at('old.example.org')[0]).to.equal(first.at('old.example.org')[0]);
    expect(second.at('www.example.org')[0]).to.equal(www).and.not.equal(first.at('www.example.org')[0]);
    expect(second.at('api.example.org')[0]).to.deep.include({ meta: { etag: 'v2' } });
    // A new etag is provider bookkeeping: held anew, but no change to plan for.
    expect([...first.changedNames(second)]).to.deep.equal(['www.example.org']);
  });
});

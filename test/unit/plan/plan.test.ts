// The planner's rules, one per test: what mcdns writes into a zone for one record, and what it
// refuses to touch.
import { expect } from 'chai';
import type { Endpoint } from '../../../src/api/schema.js';
import { formatOwnership, oldFormatTxtNameFor, ownershipConfig, txtNameFor, type OwnershipConfig } from '../../../src/plan/ownership.js';
import { planRecord, type PlanInput, type RecordPlan } from '../../../src/plan/plan.js';
import type { DnsRecord } from '../../../src/plan/records.js';

const ZONE = 'example.org';
const R1 = 'ingressdnsrecord/ns1/web';
const R2 = 'ingressdnsrecord/ns2/web';
const cfg = ownershipConfig({ ownerId: 'mcdns' });

const ep = (dnsName: string, recordType: string, targets: string[], recordTTL = 60): Endpoint => ({ dnsName, recordType, targets, recordTTL });
const rec = (name: string, type: string, targets: string[], ttl = 60): DnsRecord => ({ name, type, ttl, targets });
const owner = (name: string, type: string, o: string, resource: string, c: OwnershipConfig = cfg): DnsRecord =>
  rec(txtNameFor(name, type, c), 'TXT', [formatOwnership({ owner: o, resource })], 60);
const ours = (name: string, type: string, resource = R1): DnsRecord => owner(name, type, 'mcdns', resource);

function plan(endpoints: Endpoint[], records: DnsRecord[], over: Partial<PlanInput> = {}): RecordPlan {
  return planRecord({
    resource: R1,
    endpoints,
    zones: [ZONE],
    current: [{ zone: ZONE, records }],
    ownership: cfg,
    policy: 'sync',
    ...over,
  });
}

/** "action TYPE name targets" per change, in batch order. */
function lines(p: RecordPlan): string[] {
  return p.zones.flatMap((z) => z.changes.map((c) => `${c.action} ${c.record.type} ${c.record.name} ${c.record.targets.join(',')}`));
}

const TXT_R1 = formatOwnership({ owner: 'mcdns', resource: R1 });

describe('plan: one record planned against a zone', () => {
  describe('with nothing in the way', () => {
    it('creates the record set and its ownership TXT, the TXT first', () => {
      const p = plan([ep('www.example.org', 'A', ['192.0.2.2', '192.0.2.1'])], []);
      expect(lines(p)).to.deep.equal([`create TXT a-www.example.org ${TXT_R1}`, 'create A www.example.org 192.0.2.1,192.0.2.2']);
      expect(p.conflicts).to.deep.equal([]);
      expect(p.problems).to.deep.equal([]);
    });

    it('gives the TXT the TTL of its record set', () => {
      const p = plan([ep('www.example.org', 'A', ['192.0.2.1'], 30)], []);
      expect(p.zones[0]?.changes.map((c) => c.record.ttl)).to.deep.equal([30, 30]);
    });

    it('uses 300 s (ExternalDNS default) or --default-ttl when an endpoint has no TTL', () => {
      const e: Endpoint = { dnsName: 'www.example.org', recordType: 'A', targets: ['192.0.2.1'] };
      expect(plan([e], []).zones[0]?.changes[1]?.record.ttl).to.equal(300);
      expect(plan([e], [], { defaultTtl: 120 }).zones[0]?.changes[1]?.record.ttl).to.equal(120);
    });

    it('plans nothing in a steady state', () => {
      const current = [rec('www.example.org', 'A', ['192.0.2.1', '192.0.2.2']), ours('www.example.org', 'A')];
      const p = plan([ep('www.example.org', 'A', ['192.0.2.2', '192.0.2.1'])], current);
      expect(p.zones).to.deep.equal([]);
      expect(p.conflicts).to.deep.equal([]);
    });

    it('sees no change in target order, case, trailing dots or IPv6 spelling', () => {
      const current = [
        rec('www.example.org', 'AAAA', ['2001:db8::1']),
        ours('www.example.org', 'AAAA'),
        rec('api.example.org', 'CNAME', ['lb.example.net']),
        ours('api.example.org', 'CNAME'),
      ];
      const p = plan(
        [ep('WWW.example.org.', 'AAAA', ['2001:0db8:0:0::1']), ep('api.example.org', 'CNAME', ['LB.example.net.'])],
        current,
      );
      expect(p.zones).to.deep.equal([]);
    });
  });

  describe('record sets owned by this resource', () => {
    it('updates targets and TTL, handing the provider the record as read', () => {
      const current = [rec('www.example.org', 'A', ['192.0.2.1']), ours('www.example.org', 'A')];
      const p = plan([ep('www.example.org', 'A', ['192.0.2.3'], 30)], current);
      expect(lines(p)).to.deep.equal(['update A www.example.org 192.0.2.3']);
      expect(p.zones[0]?.changes[0]?.previous).to.deep.equal(current[0]);
      expect(p.zones[0]?.changes[0]?.record.ttl).to.equal(30);
    });

    it('deletes a record set no longer desired, then its ownership TXT', () => {
      const current = [
        rec('www.example.org', 'A', ['192.0.2.1']),
        ours('www.example.org', 'A'),
        rec('old.example.org', 'A', ['192.0.2.1']),
        ours('old.example.org', 'A'),
      ];
      const p = plan([ep('www.example.org', 'A', ['192.0.2.1'])], current);
      expect(lines(p)).to.deep.equal(['delete A old.example.org 192.0.2.1', `delete TXT a-old.example.org ${TXT_R1}`]);
    });

    it('deletes everything it owns for no endpoints, and nothing of anyone else', () => {
      const current = [
        rec('www.example.org', 'A', ['192.0.2.1']),
        ours('www.example.org', 'A'),
        rec('other.example.org', 'A', ['192.0.2.9']),
        ours('other.example.org', 'A', R2),
        rec('manual.example.org', 'A', ['192.0.2.8']),
      ];
      expect(lines(plan([], current))).to.deep.equal(['delete A www.example.org 192.0.2.1', `delete TXT a-www.example.org ${TXT_R1}`]);
    });

    it('switches A to CNAME in one batch under sync: TXT in, A out, CNAME in, old TXT out', () => {
      const current = [rec('www.example.org', 'A', ['192.0.2.1']), ours('www.example.org', 'A')];
      const p = plan([ep('www.example.org', 'CNAME', ['lb.example.net'])], current);
      expect(lines(p)).to.deep.equal([
        `create TXT cname-www.example.org ${TXT_R1}`,
        'delete A www.example.org 192.0.2.1',
        'create CNAME www.example.org lb.example.net',
        `delete TXT a-www.example.org ${TXT_R1}`,
      ]);
    });

    it('removes an orphan ownership TXT of its own (a write that stopped half-way)', () => {
      expect(lines(plan([], [ours('gone.example.org', 'A')]))).to.deep.equal([`delete TXT a-gone.example.org ${TXT_R1}`]);
    });

    it('re-creates the record set of its own orphan TXT without writing the TXT again', () => {
      const p = plan([ep('www.example.org', 'A', ['192.0.2.1'])], [ours('www.example.org', 'A')]);
      expect(lines(p)).to.deep.equal(['create A www.example.org 192.0.2.1']);
    });

    it('reads old-format ownership (TXT without type) and adds the new-format TXT', () => {
      const old = rec(oldFormatTxtNameFor('www.example.org', ownershipConfig({ ownerId: 'mcdns', txtPrefix: 'own-' })), 'TXT', [TXT_R1]);
      const prefixed = ownershipConfig({ ownerId: 'mcdns', txtPrefix: 'own-' });
      const p = plan([ep('www.example.org', 'A', ['192.0.2.3'])], [rec('www.example.org', 'A', ['192.0.2.1']), old], { ownership: prefixed });
      expect(lines(p)).to.deep.equal([`create TXT own-a-www.example.org ${TXT_R1}`, 'update A www.example.org 192.0.2.3']);
    });

    it('does not read an old-format TXT as owning AAAA (ExternalDNS does not either)', () => {
      const prefixed = ownershipConfig({ ownerId: 'mcdns', txtPrefix: 'own-' });
      const old = rec('own-www.example.org', 'TXT', [TXT_R1]);
      const p = plan([ep('www.example.org', 'AAAA', ['2001:db8::1'])], [rec('www.example.org', 'AAAA', ['2001:db8::2']), old], { ownership: prefixed });
      expect(p.conflicts.map((c) => c.message)).to.deep.equal(['AAAA www.example.org not written: www.example.org already has a AAAA record set that no owner registry claims']);
      // The old TXT owns no record set here, so it is an orphan of ours and goes.
      expect(lines(p)).to.deep.equal([`delete TXT own-www.example.org ${TXT_R1}`]);
    });
  });

  describe('policies', () => {
    const current = [
      rec('www.example.org', 'A', ['192.0.2.1']),
      ours('www.example.org', 'A'),
      rec('old.example.org', 'A', ['192.0.2.1']),
      ours('old.example.org', 'A'),
    ];
    const desired = [ep('www.example.org', 'A', ['192.0.2.3']), ep('new.example.org', 'A', ['192.0.2.4'])];

    it('sync creates, updates and deletes', () => {
      expect(lines(plan(desired, current))).to.deep.equal([
        `create TXT a-new.example.org ${TXT_R1}`,
        'delete A old.example.org 192.0.2.1',
        'create A new.example.org 192.0.2.4',
        'update A www.example.org 192.0.2.3',
        `delete TXT a-old.example.org ${TXT_R1}`,
      ]);
    });

    it('upsert-only creates and updates, never deletes', () => {
      expect(lines(plan(desired, current, { policy: 'upsert-only' }))).to.deep.equal([
        `create TXT a-new.example.org ${TXT_R1}`,
        'create A new.example.org 192.0.2.4',
        'update A www.example.org 192.0.2.3',
      ]);
      expect(lines(plan([], current, { policy: 'upsert-only' }))).to.deep.equal([]);
    });

    it('create-only only creates', () => {
      expect(lines(plan(desired, current, { policy: 'create-only' }))).to.deep.equal([
        `create TXT a-new.example.org ${TXT_R1}`,
        'create A new.example.org 192.0.2.4',
      ]);
    });

    it('upsert-only cannot turn our A into a CNAME (that needs a delete): a conflict, nothing written', () => {
      const p = plan([ep('www.example.org', 'CNAME', ['lb.example.net'])], current.slice(0, 2), { policy: 'upsert-only' });
      expect(lines(p)).to.deep.equal([]);
      expect(p.conflicts[0]?.message).to.match(/policy=upsert-only does not allow/);
    });
  });

  describe('names held by someone else: never modified, reported as conflicts', () => {
    it('never modifies or deletes a record set owned by another owner id', () => {
      const current = [
        rec('www.example.org', 'A', ['198.51.100.1']),
        owner('www.example.org', 'A', 'external-dns-prod', 'crd/default/web'),
      ];
      for (const policy of ['sync', 'upsert-only', 'create-only'] as const) {
        const p = plan([ep('www.example.org', 'A', ['192.0.2.1'])], current, { policy });
        expect(p.zones, policy).to.deep.equal([]);
        expect(p.conflicts, policy).to.deep.equal([
          {
            name: 'www.example.org',
            type: 'A',
            zone: ZONE,
            owner: 'external-dns-prod',
            resource: 'crd/default/web',
            message: 'A www.example.org not written: A www.example.org is owned by owner "external-dns-prod" (resource crd/default/web)',
          },
        ]);
        // Nor deleted when we want nothing there.
        expect(plan([], current, { policy }).zones, policy).to.deep.equal([]);
      }
    });

    it('lets the first record keep a host: a record in another namespace gets the conflict', () => {
      // ns1/web published www first (its TXT names it); ns2/web wants the same host.
      const current = [rec('www.example.org', 'A', ['192.0.2.1']), ours('www.example.org', 'A', R1)];
      const second = plan([ep('www.example.org', 'A', ['192.0.2.99'])], current, { resource: R2 });
      expect(lines(second)).to.deep.equal([]);
      expect(second.conflicts).to.have.length(1);
      expect(second.conflicts[0]).to.include({ owner: 'mcdns', resource: R1, name: 'www.example.org', type: 'A' });
      // Another type at the same host is no way around it.
      const aaaa = plan([ep('www.example.org', 'AAAA', ['2001:db8::99'])], current, { resource: R2 });
      expect(lines(aaaa)).to.deep.equal([]);
      expect(aaaa.conflicts[0]).to.include({ owner: 'mcdns', resource: R1, type: 'AAAA' });
      // And the first one still plans nothing.
      expect(plan([ep('www.example.org', 'A', ['192.0.2.1'])], current).zones).to.deep.equal([]);
    });

    it('does not take a name claimed only by another owner\'s TXT (its record set not there yet)', () => {
      const p = plan([ep('www.example.org', 'A', ['192.0.2.1'])], [owner('www.example.org', 'A', 'other', 'crd/x/y')]);
      expect(lines(p)).to.deep.equal([]);
      expect(p.conflicts[0]).to.include({ owner: 'other', resource: 'crd/x/y' });
    });

    it('does not take an A/AAAA/CNAME that no registry owns', () => {
      const p = plan([ep('www.example.org', 'A', ['192.0.2.1'])], [rec('www.example.org', 'CNAME', ['legacy.example.net'])]);
      expect(lines(p)).to.deep.equal([]);
      expect(p.conflicts).to.deep.equal([
        {
          name: 'www.example.org',
          type: 'A',
          zone: ZONE,
          message: 'A www.example.org not written: www.example.org already has a CNAME record set that no owner registry claims',
        },
      ]);
    });

    it('writes an A beside unowned records of other kinds (SOA and NS at the apex, MX, SPF)', () => {
      const apex = ownershipConfig({ ownerId: 'mcdns', txtPrefix: '%{record_type}.' });
      const current = [
        rec('example.org', 'SOA', ['ns1.example.org. hostmaster.example.org. 1 10800 3600 604800 60']),
        rec('example.org', 'NS', ['ns1.example.org']),
        rec('example.org', 'MX', ['10 mail.example.org']),
        rec('example.org', 'TXT', ['"v=spf1 -all"']),
      ];
      const p = plan([ep('example.org', 'A', ['192.0.2.1'])], current, { ownership: apex });
      expect(lines(p)).to.deep.equal([`create TXT a.example.org ${TXT_R1}`, 'create A example.org 192.0.2.1']);
    });

    it('does not put a CNAME beside anything', () => {
      const p = plan([ep('mail.example.org', 'CNAME', ['lb.example.net'])], [rec('mail.example.org', 'MX', ['10 mx.example.org'])]);
      expect(lines(p)).to.deep.equal([]);
      expect(p.conflicts[0]?.message).to.match(/already has a MX record set that no owner registry claims/);
    });

    it('does not overwrite TXT data at the ownership TXT\'s name', () => {
      const p = plan([ep('www.example.org', 'A', ['192.0.2.1'])], [rec('a-www.example.org', 'TXT', ['"site-verification=abc"'])]);
      expect(lines(p)).to.deep.equal([]);
      expect(p.conflicts[0]?.message).to.match(/ownership TXT name a-www.example.org already holds a TXT record set/);
    });

    it('keeps planning the record\'s other names when one of them is in conflict', () => {
      const current = [rec('taken.example.org', 'A', ['198.51.100.1'])];
      const p = plan([ep('taken.example.org', 'A', ['192.0.2.1']), ep('free.example.org', 'A', ['192.0.2.1'])], current);
      expect(lines(p)).to.deep.equal([`create TXT a-free.example.org ${TXT_R1}`, 'create A free.example.org 192.0.2.1']);
      expect(p.conflicts.map((c) => c.name)).to.deep.equal(['taken.example.org']);
    });

    it('writes nothing at a name in conflict, not even its own other types there', () => {
      const current = [
        rec('www.example.org', 'A', ['192.0.2.1']),
        ours('www.example.org', 'A'),
        rec('www.example.org', 'AAAA', ['2001:db8::5']),
        owner('www.example.org', 'AAAA', 'someone', 'crd/a/b'),
      ];
      const p = plan([ep('www.example.org', 'A', ['192.0.2.7'])], current);
      expect(lines(p)).to.deep.equal([]);
      expect(p.conflicts[0]).to.include({ owner: 'someone' });
    });
  });

  describe('a name the claims hand from one record to another (holder)', () => {
    const R3 = 'routednsrecord/ns1/web';
    const handed = [rec('www.example.org', 'A', ['192.0.2.1']), ours('www.example.org', 'A', R1)];
    const toR3 = () => R3;

    it('takes the name over in one write: the TXT rewritten to the new holder with its record set, nothing deleted', () => {
      const p = plan([ep('www.example.org', 'A', ['192.0.2.7'])], handed, { resource: R3, holder: toR3 });
      const TXT_R3 = formatOwnership({ owner: 'mcdns', resource: R3 });
      expect(lines(p)).to.deep.equal([`update TXT a-www.example.org ${TXT_R3}`, 'update A www.example.org 192.0.2.7']);
      expect(p.conflicts).to.deep.equal([]);
    });

    it('leaves the name in place in the former holder\'s plan, for the new holder to take over', () => {
      expect(lines(plan([], handed, { holder: toR3 }))).to.deep.equal([]);
    });

    it('deletes the name as the new holder when it has nothing to publish there', () => {
      expect(lines(plan([], handed, { resource: R3, holder: toR3 }))).to.deep.equal(['delete A www.example.org 192.0.2.1', `delete TXT a-www.example.org ${TXT_R1}`]);
    });

    it('takes nothing another owner id holds, nor what the claims did not give it', () => {
      const foreign = [rec('www.example.org', 'A', ['192.0.2.1']), owner('www.example.org', 'A', 'external-dns', R1)];
      expect(plan([ep('www.example.org', 'A', ['192.0.2.7'])], foreign, { resource: R3, holder: toR3 }).conflicts).to.have.length(1);
      expect(plan([ep('www.example.org', 'A', ['192.0.2.7'])], handed, { resource: R3, holder: () => R1 }).conflicts).to.have.length(1);
      expect(plan([ep('www.example.org', 'A', ['192.0.2.7'])], handed, { resource: R3 }).conflicts, 'no claims known').to.have.length(1);
    });
  });

  describe('zones, filters and limits', () => {
    it('sends each name to the zone with the longest matching suffix, one batch per zone', () => {
      const p = planRecord({
        resource: R1,
        endpoints: [ep('www.example.org', 'A', ['192.0.2.1']), ep('www.eu.example.org', 'A', ['192.0.2.2'])],
        zones: ['example.org', 'eu.example.org'],
        current: [
          { zone: 'example.org', records: [] },
          { zone: 'eu.example.org', records: [] },
        ],
        ownership: cfg,
        policy: 'sync',
      });
      expect(p.zones.map((z) => [z.zone, z.changes.map((c) => c.record.name)])).to.deep.equal([
        ['eu.example.org', ['a-www.eu.example.org', 'www.eu.example.org']],
        ['example.org', ['a-www.example.org', 'www.example.org']],
      ]);
    });

    it('reports a name no managed zone holds', () => {
      const p = plan([ep('www.example.net', 'A', ['192.0.2.1'])], []);
      expect(p.problems).to.deep.equal([{ name: 'www.example.net', type: 'A', reason: 'no-zone', message: 'no managed zone holds www.example.net' }]);
      expect(p.zones).to.deep.equal([]);
    });

    it('skips names outside --domain-filter / inside --exclude-domains and never deletes there', () => {
      const current = [rec('legacy.example.org', 'A', ['192.0.2.1']), ours('legacy.example.org', 'A')];
      const domainFilter = { include: ['example.org'], exclude: ['legacy.example.org'] };
      const p = plan([ep('legacy.example.org', 'A', ['192.0.2.5']), ep('www.example.org', 'A', ['192.0.2.1'])], current, { domainFilter });
      expect(p.problems.map((x) => [x.name, x.reason])).to.deep.equal([['legacy.example.org', 'filtered']]);
      expect(lines(p)).to.deep.equal([`create TXT a-www.example.org ${TXT_R1}`, 'create A www.example.org 192.0.2.1']);
      expect(lines(plan([], current, { domainFilter }))).to.deep.equal([]);
    });

    it('reports more targets than the provider allows and leaves the published set alone', () => {
      const current = [rec('www.example.org', 'A', ['192.0.2.1']), ours('www.example.org', 'A')];
      const many = Array.from({ length: 21 }, (_, i) => `192.0.2.${i + 1}`);
      const p = plan([ep('www.example.org', 'A', many)], current, { maxTargets: (t) => (t === 'TXT' ? 400 : 20) });
      expect(p.problems).to.deep.equal([
        { name: 'www.example.org', type: 'A', zone: ZONE, reason: 'too-many-targets', message: 'A www.example.org: 21 targets, the provider allows 20 per record set' },
      ]);
      expect(p.zones).to.deep.equal([]);
    });

    it('refuses an apex record whose ownership TXT would leave the zone (ExternalDNS #449)', () => {
      const p = plan([ep('example.org', 'A', ['192.0.2.1'])], []);
      expect(p.problems[0]).to.include({ reason: 'txt-outside-zone', name: 'example.org' });
      expect(p.problems[0]?.message).to.match(/a-example.org would lie outside zone example.org/);
      expect(p.zones).to.deep.equal([]);
    });

    it('rejects a CNAME with several targets and an endpoint without targets', () => {
      const p = plan([ep('a.example.org', 'CNAME', ['x.example.net', 'y.example.net']), ep('b.example.org', 'A', [])], []);
      expect(p.problems.map((x) => [x.name, x.reason])).to.deep.equal([
        ['a.example.org', 'invalid'],
        ['b.example.org', 'invalid'],
      ]);
    });

    it('uses the configured prefix for the TXT it writes and for the TXT it reads', () => {
      const prefixed = ownershipConfig({ ownerId: 'mcdns', txtPrefix: 'cname' });
      const created = plan([ep('www.example.org', 'A', ['192.0.2.1'])], [], { ownership: prefixed });
      expect(lines(created)[0]).to.equal(`create TXT cnamea-www.example.org ${TXT_R1}`);
      const current = [rec('www.example.org', 'A', ['192.0.2.1']), owner('www.example.org', 'A', 'mcdns', R1, prefixed)];
      expect(plan([ep('www.example.org', 'A', ['192.0.2.1'])], current, { ownership: prefixed }).zones).to.deep.equal([]);
    });

    it('merges endpoints of the same name and type', () => {
      const p = plan([ep('www.example.org', 'A', ['192.0.2.2']), ep('www.example.org', 'A', ['192.0.2.1', '192.0.2.2'])], []);
      expect(lines(p)[1]).to.equal('create A www.example.org 192.0.2.1,192.0.2.2');
    });
  });
});

describe('plan: a provider that answers a name with everything below it (CoreDNS etcd)', () => {
  const subtree = { answersSubtree: true };

  it('refuses to write below a name someone else owns, naming them, and writes nothing', () => {
    const theirs = [rec('other.example.org', 'A', ['192.0.2.9']), owner('other.example.org', 'A', 'external-dns', 'crd/team-x/other')];
    const p = plan([ep('api.other.example.org', 'A', ['192.0.2.1'])], theirs, subtree);
    expect(lines(p)).to.deep.equal([]);
    expect(p.conflicts).to.have.length(1);
    expect(p.conflicts[0]?.message).to.contain('writing api.other.example.org would change the answer for A other.example.org')
      .and.contain('external-dns');
  });

  it('refuses as well below a record set no owner registry claims', () => {
    const p = plan([ep('api.other.example.org', 'A', ['192.0.2.1'])], [rec('other.example.org', 'A', ['192.0.2.9'])], subtree);
    expect(lines(p)).to.deep.equal([]);
    expect(p.conflicts[0]?.message).to.contain('held by no owner registry');
  });

  it('refuses to write a name above another owner\'s name, which its answer would include, and writes nothing', () => {
    const theirs = [rec('evil.shop.example.org', 'A', ['192.0.2.66']), owner('evil.shop.example.org', 'A', 'mcdns', 'ingressdnsrecord/team-b/evil')];
    const p = plan([ep('shop.example.org', 'A', ['192.0.2.1'])], theirs, subtree);
    expect(lines(p)).to.deep.equal([]);
    expect(p.conflicts.map((c) => c.message)).to.deep.equal([
      'A shop.example.org not written: shop.example.org would be answered with A evil.shop.example.org too, held by owner "mcdns" (resource ingressdnsrecord/team-b/evil): this provider answers a name with every record below it',
    ]);
    expect(p.conflicts[0]?.resource).to.equal('ingressdnsrecord/team-b/evil');
    // Its own names below, and ownership TXTs below, are no such records.
    const mine = [rec('www.shop.example.org', 'A', ['192.0.2.1']), ours('www.shop.example.org', 'A')];
    expect(plan([ep('shop.example.org', 'A', ['192.0.2.1']), ep('www.shop.example.org', 'A', ['192.0.2.1'])], mine, subtree).conflicts).to.deep.equal([]);
  });

  it('writes below a name of its own record, and anywhere when the provider answers names alone', () => {
    const mine = [rec('other.example.org', 'A', ['192.0.2.1']), ours('other.example.org', 'A')];
    expect(plan([ep('other.example.org', 'A', ['192.0.2.1']), ep('api.other.example.org', 'A', ['192.0.2.1'])], mine, subtree).conflicts).to.deep.equal([]);
    const theirs = [rec('other.example.org', 'A', ['192.0.2.9']), owner('other.example.org', 'A', 'external-dns', 'crd/team-x/other')];
    expect(plan([ep('api.other.example.org', 'A', ['192.0.2.1'])], theirs).conflicts).to.deep.equal([]);
  });
});

// The sink at fleet scale, against the in-memory provider whose calls are counted: zones read
// once, records coalesced into one batch per zone, a refused name split out, drift repaired,
// foreign names never touched.
import { expect } from 'chai';
import type { Endpoint } from '../../../src/api/schema.js';
import { ProviderError } from '../../../providers/errors.js';
import { ProviderSink, type ProviderSinkOptions } from '../../../src/apply/sink.js';
import { DirectOutputs } from '../../../src/apply/outputs.js';
import { formatOwnership, ownershipConfig, resourceId } from '../../../src/plan/ownership.js';
import { MemoryProvider } from '../providers/memory-provider.js';

const cfg = ownershipConfig({ ownerId: 'mcdns' });
const ep = (dnsName: string, targets: string[], recordType = 'A'): Endpoint => ({ dnsName, recordType, targets, recordTTL: 60 });
const rid = (i: number) => resourceId('IngressDNSRecord', 'shop', `web-${i}`);
const host = (i: number) => `web-${i}.example.org`;
const owner = (resource: string, id = 'mcdns') => formatOwnership({ owner: id, resource });

function sinkFor(provider: MemoryProvider, over: Partial<ProviderSinkOptions> = {}) {
  return new ProviderSink({
    provider,
    ownership: cfg,
    policy: 'sync',
    driftIntervalMs: 0, // checks are run by hand: no timers in specs
    retry: { attempts: 3, baseDelayMs: 1, sleep: async () => undefined, random: () => 0 },
    ...over,
  });
}

const applies = (p: MemoryProvider) => p.calls.filter((c) => c.startsWith('apply'));
const reads = (p: MemoryProvider) => p.calls.filter((c) => c.startsWith('records'));

describe('apply/sink: zone batches', () => {
  it('converges 1,000 records in one zone with one read and a handful of batches, then writes nothing', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p);
    const n = 1000;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => sink.syncRecord(rid(i), [ep(host(i), ['192.0.2.1', '192.0.2.2'])])));
    expect(results.every((r) => r.applied === 2 && r.zoneErrors.length === 0 && r.conflicts.length === 0)).to.equal(true);
    expect(p.list('example.org')).to.have.length(2 * n);
    expect(reads(p)).to.deep.equal(['records example.org']);
    expect(applies(p).length).to.be.within(1, 3);
    expect(p.batches.reduce((a, b) => a + b, 0)).to.equal(2 * n);

    // A steady state (every record published again, as a resync does): no read, no write.
    p.calls.length = 0;
    const again = await Promise.all(Array.from({ length: n }, (_, i) => sink.syncRecord(rid(i), [ep(host(i), ['192.0.2.2', '192.0.2.1'])])));
    expect(again.every((r) => r.applied === 0)).to.equal(true);
    expect(p.calls).to.deep.equal([]);
  });

  it('coalesces records of several zones into one batch per zone, each record told its own changes', async () => {
    const p = new MemoryProvider(['a.example', 'b.example']);
    const sink = sinkFor(p);
    const [one, two, three] = await Promise.all([
      sink.syncRecord(rid(1), [ep('x.a.example', ['192.0.2.1']), ep('x.b.example', ['192.0.2.1'])]),
      sink.syncRecord(rid(2), [ep('y.a.example', ['192.0.2.2'])]),
      sink.syncRecord(rid(3), [ep('z.b.example', ['192.0.2.3'])]),
    ]);
    expect(applies(p).sort()).to.deep.equal(['apply a.example 4', 'apply b.example 4']);
    expect(one?.changes.map((z) => [z.zone, z.changes.length])).to.deep.equal([
      ['a.example', 2],
      ['b.example', 2],
    ]);
    expect(two?.changes.map((z) => z.zone)).to.deep.equal(['a.example']);
    expect(three?.applied).to.equal(2);
  });

  it('splits a batch the provider refuses: the good names land, the bad one is reported on its record only', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p);
    p.refuse(host(13));
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => sink.syncRecord(rid(i), [ep(host(i), ['192.0.2.1'])])));
    const failed = results.filter((r) => r.zoneErrors.length > 0);
    expect(failed.map((r) => r.resource)).to.deep.equal([rid(13)]);
    expect(failed[0]?.zoneErrors[0]).to.include({ zone: 'example.org', kind: 'rejected' });
    expect(failed[0]?.applied).to.equal(0);
    expect(p.list('example.org')).to.have.length(2 * 39);
    expect(p.list('example.org').some((l) => l.includes(host(13)))).to.equal(false);
    // Halving finds one bad name among 40 in about 2·log2(40) tries, not 40.
    expect(applies(p).length).to.be.at.most(14);

    // Not retried forever: a drift check finds nothing to repair, and the controller is not asked to retry.
    p.calls.length = 0;
    await sink.checkDrift();
    expect(applies(p)).to.deep.equal([]);
    const direct = new DirectOutputs([{ name: 'memory', sink }]);
    const outcome = await direct.publish({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'web-13' }, [ep(host(13), ['192.0.2.1'])]);
    expect(outcome.retry).to.equal(false);
    expect(outcome.failure?.message).to.match(/web-13\.example\.org.*refused/);
  });

  it('deletes nothing when a zone cannot be read: the publication fails, the zone keeps every record', async () => {
    const p = new MemoryProvider(['example.org']);
    await Promise.all([0, 1, 2].map((i) => sinkFor(p).syncRecord(rid(i), [ep(host(i), ['192.0.2.1'])])));
    const down = new ProviderError('HTTP 503', 'unavailable', { status: 503 });
    p.fail('records', down, down, down);
    const sink = sinkFor(p);
    const outcomes = await Promise.allSettled([0, 1, 2].map((i) => sink.syncRecord(rid(i), [])));
    expect(outcomes.every((o) => o.status === 'rejected')).to.equal(true);
    expect(p.list('example.org')).to.have.length(6);
    // A drift check that cannot read keeps what it knew, and writes nothing either.
    const started = sinkFor(p);
    await started.syncRecord(rid(0), [ep(host(0), ['192.0.2.1'])]);
    p.calls.length = 0;
    p.fail('records', down, down, down);
    await started.checkDrift();
    expect(applies(p)).to.deep.equal([]);
    expect(p.list('example.org')).to.have.length(6);
  });

  it('repairs drift at the next check: a record someone deleted or edited is written again', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p);
    await Promise.all([1, 2, 3].map((i) => sink.syncRecord(rid(i), [ep(host(i), ['192.0.2.1'])])));
    p.remove('example.org', host(1), 'A');
    p.seed('example.org', { name: host(2), type: 'A', ttl: 60, targets: ['203.0.113.66'] });
    p.calls.length = 0;
    await sink.checkDrift();
    expect(reads(p)).to.deep.equal(['records example.org']);
    expect(applies(p)).to.deep.equal(['apply example.org 2']);
    expect(p.list('example.org').filter((l) => l.startsWith('A '))).to.deep.equal([
      `A ${host(1)} 192.0.2.1`,
      `A ${host(2)} 192.0.2.1`,
      `A ${host(3)} 192.0.2.1`,
    ]);
    // Nothing drifted: one read, no write.
    p.calls.length = 0;
    await sink.checkDrift();
    expect(p.calls).to.deep.equal(['records example.org']);
  });

  it('writes a change that meets an idle zone at once; the changes that come while it is written share the next batch', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p, { batchWindowMs: 60_000 }); // the window is for bursts, not for a lone change
    await sink.syncRecord(rid(0), [ep(host(0), ['192.0.2.1'])]);
    p.calls.length = 0;
    const writing = p.hold('apply');
    const first = sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.1'])]);
    await writing.reached;
    const next = [2, 3].map((i) => sink.syncRecord(rid(i), [ep(host(i), ['192.0.2.1'])]));
    writing.release();
    await Promise.all([first, ...next]);
    expect(applies(p)).to.deep.equal(['apply example.org 2', 'apply example.org 4']);
  });

  it('while the controller has records queued, a change waits for them within the window: a burst shares one batch', async () => {
    const p = new MemoryProvider(['example.org']);
    let queued = false;
    const sink = sinkFor(p, { batchWindowMs: 60_000, othersWaiting: () => queued });
    await sink.syncRecord(rid(0), [ep(host(0), ['192.0.2.1'])]);
    p.calls.length = 0;
    queued = true;
    const first = sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.1'])]);
    await new Promise((r) => setTimeout(r, 30));
    expect(applies(p), 'nothing written while others are queued, within the window').to.deep.equal([]);
    const second = sink.syncRecord(rid(2), [ep(host(2), ['192.0.2.1'])]);
    queued = false;
    await Promise.all([first, second]);
    expect(applies(p)).to.deep.equal(['apply example.org 4']);
  });

  it('holds up no write for a drift check: a change published while the zone is read is written at once, and not taken for drift', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p);
    await Promise.all([1, 2].map((i) => sink.syncRecord(rid(i), [ep(host(i), ['192.0.2.1'])])));
    p.remove('example.org', host(2), 'A'); // someone deletes one of ours: drift
    p.calls.length = 0;
    const reading = p.hold('records'); // the read answers the zone as it was before the change below
    const check = sink.checkDrift();
    await reading.reached;
    const changed = await sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.9'])]);
    expect(changed.applied).to.equal(1);
    reading.release();
    await check;
    expect(applies(p), 'the change, then the repair of the deleted record only').to.deep.equal(['apply example.org 1', 'apply example.org 1']);
    expect(p.list('example.org').filter((l) => l.startsWith('A '))).to.deep.equal([`A ${host(1)} 192.0.2.9`, `A ${host(2)} 192.0.2.1`]);
    p.calls.length = 0;
    await sink.checkDrift();
    expect(p.calls).to.deep.equal(['records example.org']);
  });

  it('reads every zone again after forgetZones() (a new term as leader): what another leader changed is repaired, not trusted', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p);
    await sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.1'])]);
    // Meanwhile another replica led: it deleted our record and wrote one for the same resource elsewhere.
    p.remove('example.org', host(1), 'A');
    p.seed(
      'example.org',
      { name: host(9), type: 'A', ttl: 60, targets: ['192.0.2.9'] },
      { name: `a-${host(9)}`, type: 'TXT', ttl: 60, targets: [owner(rid(1))] },
    );
    // Within the old term an unchanged publication trusts what was read then: no read, no write.
    p.calls.length = 0;
    await sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.1'])]);
    expect(p.calls).to.deep.equal([]);

    sink.forgetZones();
    p.calls.length = 0;
    const r = await sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.1'])]);
    expect(reads(p)).to.deep.equal(['records example.org']);
    expect(r.zoneErrors).to.deep.equal([]);
    expect(p.list('example.org').filter((l) => l.startsWith('A '))).to.deep.equal([`A ${host(1)} 192.0.2.1`]);
  });

  it('never touches foreign or owner-less names, in a batch or at a drift check', async () => {
    const p = new MemoryProvider(['example.org']);
    const foreign = [
      { name: 'shop.example.org', type: 'A', ttl: 300, targets: ['198.51.100.7'] },
      { name: 'a-shop.example.org', type: 'TXT', ttl: 300, targets: [owner('crd/default/shop', 'external-dns')] },
      { name: 'legacy.example.org', type: 'A', ttl: 300, targets: ['198.51.100.8'] },
    ];
    p.seed('example.org', ...foreign);
    const sink = sinkFor(p);
    const [shop, legacy, fine] = await Promise.all([
      sink.syncRecord(rid(1), [ep('shop.example.org', ['192.0.2.1'])]),
      sink.syncRecord(rid(2), [ep('legacy.example.org', ['192.0.2.2'])]),
      sink.syncRecord(rid(3), [ep(host(3), ['192.0.2.3'])]),
    ]);
    expect(shop?.conflicts.map((c) => [c.name, c.owner])).to.deep.equal([['shop.example.org', 'external-dns']]);
    expect(legacy?.conflicts.map((c) => c.name)).to.deep.equal(['legacy.example.org']);
    expect(fine?.applied).to.equal(2);
    expect(shop?.applied).to.equal(0);
    // Someone edits the foreign records: still not ours to repair.
    p.seed('example.org', { name: 'shop.example.org', type: 'A', ttl: 300, targets: ['198.51.100.9'] });
    p.remove('example.org', 'legacy.example.org', 'A');
    p.calls.length = 0;
    await sink.checkDrift();
    expect(p.list('example.org')).to.include.members(['A shop.example.org 198.51.100.9', `TXT a-shop.example.org ${owner('crd/default/shop', 'external-dns')}`]);
    // legacy.example.org is free now: the record that wanted it takes it at the check.
    expect(p.list('example.org')).to.include(`A legacy.example.org 192.0.2.2`);
    expect(p.list('example.org').some((l) => l.includes('shop.example.org 192.0.2.1'))).to.equal(false);
  });

  it('lets the first of two records in one batch keep a host; the second gets the conflict', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p);
    const [a, b] = await Promise.all([sink.syncRecord(rid(1), [ep('www.example.org', ['192.0.2.1'])]), sink.syncRecord(rid(2), [ep('www.example.org', ['192.0.2.2'])])]);
    expect(applies(p)).to.deep.equal(['apply example.org 2']);
    expect(a?.applied).to.equal(2);
    expect(b?.conflicts.map((c) => c.resource)).to.deep.equal([rid(1)]);
  });

  it('hands a name over when its holder lets go: in the same batch, or right after the batch that frees it', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p);
    const announced: string[] = [];
    sink.onRepublished((r) => announced.push(r));
    await sink.syncRecord(rid(1), [ep('www.example.org', ['192.0.2.1'])]);
    // The next claimant is published before the holder's deletion: denied, for now.
    const denied = await sink.syncRecord(rid(2), [ep('www.example.org', ['192.0.2.2'])]);
    expect(denied.conflicts.map((c) => c.resource)).to.deep.equal([rid(1)]);
    await sink.deleteRecord(rid(1));
    await sink.idle(); // the follow-up batch
    expect(p.list('example.org').filter((l) => l.startsWith('A '))).to.deep.equal(['A www.example.org 192.0.2.2']);
    expect(announced).to.deep.equal([rid(2)]);
    // Deletion and take-over arriving together: the deletion is planned first.
    const [, taken] = await Promise.all([sink.deleteRecord(rid(2)), sink.syncRecord(rid(3), [ep('www.example.org', ['192.0.2.3'])])]);
    expect(taken?.conflicts).to.deep.equal([]);
    // One record set each, with the new owner: the old owner's TXT delete does not undo the new TXT.
    expect(p.list('example.org')).to.deep.equal(['A www.example.org 192.0.2.3', `TXT a-www.example.org ${owner(rid(3))}`]);
    expect(p.batches.at(-1), 'net changes: an update of the A and of its TXT').to.equal(2);
  });

  it('asks the gate before every write request and writes nothing it refuses', async () => {
    const p = new MemoryProvider(['example.org']);
    let open = true;
    let asked = 0;
    const refusal = new Error('not the leader');
    const sink = sinkFor(p, {
      beforeWrite: () => {
        asked++;
        if (!open) throw refusal;
      },
    });
    await sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.1'])]);
    expect(asked).to.be.greaterThan(0);
    open = false;
    const before = p.list('example.org');
    let thrown: unknown;
    await sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.9'])]).catch((e: unknown) => (thrown = e));
    expect(thrown).to.equal(refusal);
    expect(p.list('example.org')).to.deep.equal(before);
    // Once open again, the change goes out (the refused batch was not counted as applied).
    open = true;
    expect((await sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.9'])])).applied).to.equal(1);
  });

  it('removes a deleted record at its finalizer with its ownership TXTs, and forgets it', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p);
    await sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.1'])]);
    const r = await sink.deleteRecord(rid(1));
    expect(r.applied).to.equal(2);
    expect(p.list('example.org')).to.deep.equal([]);
    // Drift of a name it once had does not bring it back.
    p.seed('example.org', { name: 'a-web-1.example.org', type: 'TXT', ttl: 60, targets: ['"hand-written"'] });
    await sink.checkDrift();
    expect(p.list('example.org')).to.deep.equal(['TXT a-web-1.example.org "hand-written"']);
  });

  it('sends a cold start of thousands of records as batches of at most maxBatchRecords records', async () => {
    const p = new MemoryProvider(['example.org']);
    const sink = sinkFor(p, { maxBatchRecords: 100 });
    const n = 1000;
    await Promise.all(Array.from({ length: n }, (_, i) => sink.syncRecord(rid(i), [ep(host(i), ['192.0.2.1'])])));
    expect(p.list('example.org')).to.have.length(2 * n);
    expect(Math.max(...p.batches), 'an A and its TXT per record').to.be.at.most(200);
    expect(p.batches.length).to.be.within(10, 12);
  });

  it('finds the records that own DNS records but no longer exist, and only ours', async () => {
    const p = new MemoryProvider(['example.org']);
    p.seed('example.org',
      { name: 'a-gone.example.org', type: 'TXT', ttl: 300, targets: [owner(resourceId('IngressDNSRecord', 'shop', 'gone'))] },
      { name: 'gone.example.org', type: 'A', ttl: 300, targets: ['192.0.2.9'] },
      { name: 'a-theirs.example.org', type: 'TXT', ttl: 300, targets: [owner(resourceId('IngressDNSRecord', 'shop', 'theirs'), 'someone-else')] },
      { name: 'theirs.example.org', type: 'A', ttl: 300, targets: ['192.0.2.8'] },
    );
    const sink = sinkFor(p);
    await sink.syncRecord(rid(1), [ep(host(1), ['192.0.2.1'])]);
    const direct = new DirectOutputs([{ name: 'memory', sink }]);
    const orphans = await direct.orphans((k) => k.name === 'web-1');
    expect(orphans).to.deep.equal([{ kind: 'IngressDNSRecord', namespace: 'shop', name: 'gone' }]);
    expect(direct.holds({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'gone' })).to.equal(true);
    expect(direct.holds({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'theirs' }), 'another owner\'s').to.equal(false);
  });
});

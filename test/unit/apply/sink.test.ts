// The provider sink against an in-memory provider with scripted faults: reads before writes,
// retries that re-read, failed batches never counted as applied.
import { expect } from 'chai';
import type { Endpoint } from '../../../src/api/schema.js';
import { ProviderError } from '../../../providers/errors.js';
import { formatOwnership, ownershipConfig, txtNameFor } from '../../../src/plan/ownership.js';
import { ProviderSink, type ProviderSinkOptions } from '../../../src/apply/sink.js';
import type { DnsRecord } from '../../../src/plan/records.js';
import { MemoryProvider } from '../providers/memory-provider.js';

const R1 = 'ingressdnsrecord/ns1/web';
const R2 = 'servicednsrecord/ns2/api';
const cfg = ownershipConfig({ ownerId: 'mcdns' });
const ep = (dnsName: string, targets: string[], recordType = 'A'): Endpoint => ({ dnsName, recordType, targets, recordTTL: 60 });
const TXT_R1 = formatOwnership({ owner: 'mcdns', resource: R1 });

function sinkFor(provider: MemoryProvider, over: Partial<ProviderSinkOptions> = {}) {
  const sleeps: number[] = [];
  const sink = new ProviderSink({
    provider,
    ownership: cfg,
    policy: 'sync',
    retry: { attempts: 4, baseDelayMs: 100, sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
    ...over,
  });
  return { sink, sleeps };
}

describe('apply/sink: one record into one provider', () => {
  it('creates the records and ownership TXTs, then writes nothing in a steady state', async () => {
    const p = new MemoryProvider(['example.org']);
    const { sink } = sinkFor(p);
    const first = await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    expect(first.applied).to.equal(2);
    expect(first.zoneErrors).to.deep.equal([]);
    expect(p.list('example.org')).to.deep.equal(['A www.example.org 192.0.2.1', `TXT a-www.example.org ${TXT_R1}`]);
    const second = await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    expect(second.applied).to.equal(0);
    expect(p.calls.filter((c) => c.startsWith('apply'))).to.have.length(1);
  });

  it('reads every zone once, then writes from what it knows: no read per record', async () => {
    const p = new MemoryProvider(['a.example', 'b.example', 'c.example']);
    const { sink } = sinkFor(p);
    await sink.syncRecord(R1, [ep('www.a.example', ['192.0.2.1'])]);
    expect(p.calls).to.deep.equal(['zones', 'records a.example', 'records b.example', 'records c.example', 'apply a.example 2']);
    p.calls.length = 0;
    await sink.syncRecord(R1, [ep('www.a.example', ['192.0.2.2'])]);
    await sink.syncRecord(R2, [ep('api.b.example', ['192.0.2.3'])]);
    expect(p.calls).to.deep.equal(['apply a.example 1', 'apply b.example 2']);
  });

  it('throws and writes nothing when a zone cannot be read at start, even after retries', async () => {
    const p = new MemoryProvider(['example.org']);
    await sinkFor(p).sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    // A new process that cannot read the zone.
    const { sink } = sinkFor(p);
    const down = new ProviderError('HTTP 503', 'unavailable', { status: 503 });
    p.fail('records', down, down, down, down);
    let thrown: unknown;
    try {
      // An empty desired state would delete everything we own — if a failed read looked empty.
      await sink.syncRecord(R1, []);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(ProviderError);
    expect(p.calls.filter((c) => c.startsWith('apply'))).to.have.length(1);
    expect(p.list('example.org')).to.have.length(2);
  });

  it('a failed read after a failed write deletes nothing either: the record gets the error', async () => {
    const p = new MemoryProvider(['example.org']);
    const { sink } = sinkFor(p, { retry: { attempts: 2, baseDelayMs: 1, sleep: async () => undefined } });
    await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    const down = new ProviderError('HTTP 503', 'unavailable', { status: 503 });
    // The write fails, and so does every read after it.
    p.fail('apply', down);
    p.fail('records', down, down, down, down);
    const r = await sink.syncRecord(R1, []);
    expect(r.applied).to.equal(0);
    expect(r.zoneErrors.map((e) => e.kind)).to.deep.equal(['unavailable']);
    expect(p.list('example.org')).to.have.length(2);
  });

  it('retries a 5xx batch on a fresh read and counts it once', async () => {
    const p = new MemoryProvider(['example.org']);
    const calls: string[] = [];
    const { sink, sleeps } = sinkFor(p, { onCall: (op, ok) => void calls.push(`${op} ${ok ? 'ok' : 'error'}`) });
    p.fail('apply', new ProviderError('HTTP 502', 'unavailable', { status: 502 }));
    const r = await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    expect(r.applied).to.equal(2);
    expect(r.zoneErrors).to.deep.equal([]);
    expect(sleeps).to.deep.equal([100]);
    expect(p.calls.slice(-3)).to.deep.equal(['apply example.org 2', 'records example.org', 'apply example.org 2']);
    expect(sink.stats()).to.include({ retries: 1, batches: 1, changes: 2 });
    // Every try of every call reaches the metrics hook.
    expect(calls).to.deep.equal(['zones ok', 'records ok', 'apply error', 'records ok', 'apply ok']);
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    const p = new MemoryProvider(['example.org']);
    const { sink, sleeps } = sinkFor(p);
    p.fail('apply', new ProviderError('HTTP 429', 'throttled', { status: 429, retryAfterMs: 7000 }));
    const r = await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    expect(r.applied).to.equal(2);
    expect(sleeps).to.deep.equal([7000]);
  });

  it('gives up on a Retry-After beyond its longest wait and hands it to the caller', async () => {
    const p = new MemoryProvider(['example.org']);
    const { sink, sleeps } = sinkFor(p, { retry: { maxDelayMs: 5000, sleep: async () => undefined } });
    p.fail('apply', new ProviderError('HTTP 429', 'throttled', { status: 429, retryAfterMs: 60_000 }));
    const r = await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    expect(r.applied).to.equal(0);
    expect(r.changes).to.deep.equal([]);
    expect(r.zoneErrors).to.deep.equal([{ zone: 'example.org', message: 'HTTP 429', kind: 'throttled', retryAfterMs: 60_000 }]);
    expect(sleeps).to.deep.equal([]);
  });

  it('does not retry what retrying cannot fix (401) and reports the zone', async () => {
    const p = new MemoryProvider(['example.org']);
    const { sink, sleeps } = sinkFor(p);
    p.fail('apply', new ProviderError('HTTP 401: bad credentials', 'auth', { status: 401 }));
    const r = await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    expect(r.applied).to.equal(0);
    expect(r.zoneErrors[0]).to.include({ zone: 'example.org', kind: 'auth' });
    expect(sleeps).to.deep.equal([]);
    expect(sink.stats().failedBatches).to.equal(1);
  });

  it('repairs a batch that stopped half-way: the retry plans only what is missing', async () => {
    const p = new MemoryProvider(['example.org']);
    const { sink } = sinkFor(p);
    // The TXT went in, then the provider timed out before the A record.
    p.fail('apply', { afterChanges: 1, error: new ProviderError('timed out', 'timeout') });
    const r = await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    expect(r.applied).to.equal(1);
    expect(r.changes[0]?.changes.map((c) => `${c.action} ${c.record.type}`)).to.deep.equal(['create A']);
    expect(p.list('example.org')).to.deep.equal(['A www.example.org 192.0.2.1', `TXT a-www.example.org ${TXT_R1}`]);
  });

  it('applies the zones that work and reports the one that does not', async () => {
    const p = new MemoryProvider(['a.example', 'b.example']);
    const { sink } = sinkFor(p, { retry: { attempts: 1 } });
    await sink.managedZones();
    p.fail('apply', new ProviderError('HTTP 500', 'unavailable', { status: 500 }));
    const r = await sink.syncRecord(R1, [ep('www.a.example', ['192.0.2.1']), ep('www.b.example', ['192.0.2.2'])]);
    expect(r.zoneErrors.map((e) => e.zone)).to.deep.equal(['a.example']);
    expect(r.changes.map((z) => z.zone)).to.deep.equal(['b.example']);
    expect(r.applied).to.equal(2);
    expect(p.list('a.example')).to.deep.equal([]);
  });

  it('after a restart, still finds and removes what a resource published in another zone', async () => {
    const p = new MemoryProvider(['a.example', 'b.example']);
    await sinkFor(p).sink.syncRecord(R1, [ep('www.a.example', ['192.0.2.1'])]);
    // A new process: the record's host moved to b.example.
    const r = await sinkFor(p).sink.syncRecord(R1, [ep('www.b.example', ['192.0.2.1'])]);
    expect(r.changes.map((z) => [z.zone, z.changes.map((c) => c.action)])).to.deep.equal([
      ['a.example', ['delete', 'delete']],
      ['b.example', ['create', 'create']],
    ]);
    expect(p.list('a.example')).to.deep.equal([]);
  });

  it('deleteRecord removes everything the resource owns, whatever the policy, and nothing else', async () => {
    const p = new MemoryProvider(['example.org']);
    const other: DnsRecord[] = [
      { name: 'api.example.org', type: 'A', ttl: 60, targets: ['192.0.2.9'] },
      { name: txtNameFor('api.example.org', 'A', cfg), type: 'TXT', ttl: 60, targets: [formatOwnership({ owner: 'mcdns', resource: R2 })] },
    ];
    p.seed('example.org', ...other);
    const { sink } = sinkFor(p, { policy: 'upsert-only' });
    await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1']), ep('www.example.org', ['2001:db8::1'], 'AAAA')]);
    const r = await sink.deleteRecord(R1);
    expect(r.applied).to.equal(4);
    expect(p.list('example.org')).to.deep.equal(['A api.example.org 192.0.2.9', `TXT a-api.example.org ${formatOwnership({ owner: 'mcdns', resource: R2 })}`]);
  });

  it('returns conflicts and problems and writes nothing for them', async () => {
    const p = new MemoryProvider(['example.org'], 2);
    p.seed('example.org', { name: 'www.example.org', type: 'A', ttl: 60, targets: ['198.51.100.1'] });
    const { sink } = sinkFor(p);
    const r = await sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1']), ep('big.example.org', ['192.0.2.1', '192.0.2.2', '192.0.2.3'])]);
    expect(r.applied).to.equal(0);
    expect(r.conflicts.map((c) => c.name)).to.deep.equal(['www.example.org']);
    expect(r.problems.map((x) => x.reason)).to.deep.equal(['too-many-targets']);
    expect(p.calls.filter((c) => c.startsWith('apply'))).to.deep.equal([]);
  });

  it('plans without writing (dry run)', async () => {
    const p = new MemoryProvider(['example.org']);
    const { sink } = sinkFor(p);
    const plan = await sink.planRecord(R1, [ep('www.example.org', ['192.0.2.1'])]);
    expect(plan.zones[0]?.changes.map((c) => `${c.action} ${c.record.type} ${c.record.name}`)).to.deep.equal([
      'create TXT a-www.example.org',
      'create A www.example.org',
    ]);
    expect(p.calls.filter((c) => c.startsWith('apply'))).to.deep.equal([]);
  });

  it('serialises two records writing into one zone, each planning on a fresh read', async () => {
    const p = new MemoryProvider(['example.org']);
    const { sink } = sinkFor(p);
    await sink.managedZones();
    // Both want the same host at the same time: exactly one gets it, the other a conflict.
    const [a, b] = await Promise.all([
      sink.syncRecord(R1, [ep('www.example.org', ['192.0.2.1'])]),
      sink.syncRecord(R2, [ep('www.example.org', ['192.0.2.2'])]),
    ]);
    expect([a.applied, b.applied].sort()).to.deep.equal([0, 2]);
    expect(a.conflicts.length + b.conflicts.length).to.equal(1);
    expect(p.list('example.org').filter((l) => l.startsWith('A '))).to.have.length(1);
  });
});

// PowerDNS faults the real server cannot be made to produce on demand, injected with nock on a
// made-up host: 5xx and 429 on the PATCH, a 422 for one bad name in a big batch, a batch
// bigger than one request body, and zone answers that arrive in pieces, cut short or broken.
// The happy paths run against the real pdns-server (e2e).
import { expect } from 'chai';
import nock from 'nock';
import { Readable } from 'node:stream';
import { withNock } from './nock-suite.js';
import type { Endpoint } from '../../../src/api/schema.js';
import { ProviderSink } from '../../../src/apply/sink.js';
import { resourceId, ownershipConfig } from '../../../src/plan/ownership.js';
import { PowerDnsProvider } from '../../../providers/powerdns/index.js';
import { sinksFrom } from '../../../src/apply/outputs.js';
import { createLogger } from '../../../src/log.js';
import { registry } from '../../../src/metrics/metrics.js';
import { sample } from '../metrics/metrics-text.js';

// See azure.test.ts: nock is on only around this suite.
nock.restore();

const PDNS = 'http://pdns.test:8081';
const BASE = '/api/v1/servers/localhost';
const ep = (dnsName: string, targets: string[]): Endpoint => ({ dnsName, recordType: 'A', targets, recordTTL: 60 });
const rid = (i: number) => resourceId('IngressDNSRecord', 'shop', `web-${i}`);

interface Patch {
  rrsets: Array<{ name: string; type: string; changetype: string }>;
}

describe('providers/powerdns: faults (nock)', () => {
  const requests: string[] = [];
  let sleeps: number[] = [];
  const pdns = () => nock(PDNS).on('request', (req: { method?: string; path?: string; url?: string }) => void requests.push(`${req.method} ${new URL(String(req.url ?? req.path), PDNS).pathname.replace(BASE, '')}`));
  const zones = () => pdns().get(`${BASE}/zones`).reply(200, [{ id: 'example.org.', name: 'example.org.' }]);
  const zone = () => pdns().get(`${BASE}/zones/example.org.`).reply(200, { rrsets: [] });
  const sinkFor = (provider = new PowerDnsProvider({ server: PDNS, apiKey: 'k' })) =>
    new ProviderSink({
      provider,
      ownership: ownershipConfig({ ownerId: 'mcdns' }),
      policy: 'sync',
      driftIntervalMs: 0,
      retry: { baseDelayMs: 100, sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
    });

  withNock(undefined, () => {
    requests.length = 0;
    sleeps = [];
  });

  it('retries a 503 PATCH after re-reading the zone, and counts the batch once', async () => {
    zones();
    zone();
    pdns().patch(`${BASE}/zones/example.org.`).reply(503, { error: 'backend down' });
    zone();
    pdns().patch(`${BASE}/zones/example.org.`).reply(204);
    const sink = sinkFor();
    const r = await sink.syncRecord(rid(1), [ep('www.example.org', ['192.0.2.1'])]);
    expect(r.applied).to.equal(2);
    expect(r.zoneErrors).to.deep.equal([]);
    expect(requests).to.deep.equal(['GET /zones', 'GET /zones/example.org.', 'PATCH /zones/example.org.', 'GET /zones/example.org.', 'PATCH /zones/example.org.']);
    expect(sink.stats()).to.include({ batches: 1, retries: 1, failedBatches: 1 });
  });

  it('waits out a 429 Retry-After before the next try', async () => {
    zones();
    zone();
    pdns().patch(`${BASE}/zones/example.org.`).reply(429, { error: 'slow down' }, { 'Retry-After': '3' });
    zone();
    pdns().patch(`${BASE}/zones/example.org.`).reply(204);
    const r = await sinkFor().syncRecord(rid(1), [ep('www.example.org', ['192.0.2.1'])]);
    expect(r.applied).to.equal(2);
    expect(sleeps).to.deep.equal([3000]);
  });

  it('splits a 422 batch until the bad name is alone: every other record lands in few PATCHes', async () => {
    zones();
    zone();
    const landed = new Set<string>();
    let patches = 0;
    pdns()
      .patch(`${BASE}/zones/example.org.`)
      .times(40)
      .reply(async (request: Request) => {
        patches++;
        const rrsets = ((await request.json()) as Patch).rrsets;
        if (rrsets.some((r) => r.name === 'web-7.example.org.')) return [422, { error: 'RRset web-7.example.org. IN A: Conflicts with pre-existing RRset' }];
        for (const r of rrsets) landed.add(`${r.type} ${r.name}`);
        return [204, ''];
      });
    const sink = sinkFor();
    const results = await Promise.all(Array.from({ length: 32 }, (_, i) => sink.syncRecord(rid(i), [ep(`web-${i}.example.org`, ['192.0.2.1'])])));
    const bad = results.filter((r) => r.zoneErrors.length > 0);
    expect(bad.map((r) => [r.resource, r.zoneErrors[0]?.kind, r.zoneErrors[0]?.message])).to.deep.equal([
      [rid(7), 'rejected', 'PowerDNS PATCH /zones/example.org.: HTTP 422: RRset web-7.example.org. IN A: Conflicts with pre-existing RRset'],
    ]);
    expect(landed.size).to.equal(62);
    expect(landed.has('A web-7.example.org.')).to.equal(false);
    expect(patches).to.be.at.most(12);
    nock.cleanAll(); // the unused PATCH allowance
  });

  it('counts zone reads, batch sizes and every request in /metrics (the sinks the controller builds)', async () => {
    registry.resetMetrics();
    zones();
    zone();
    pdns().patch(`${BASE}/zones/example.org.`).reply(204);
    const [named] = sinksFrom({ providers: [{ provider: 'powerdns', pdnsServer: PDNS, pdnsApiKey: 'k' }], sink: { driftIntervalMs: 0 } }, createLogger('silent'));
    const sink = named!.sink;
    await Promise.all([1, 2, 3].map((i) => sink.syncRecord(rid(i), [ep(`web-${i}.example.org`, ['192.0.2.1'])])));
    await sink.close();
    const text = await registry.metrics();
    expect(sample(text, 'mcdns_provider_zone_reads_total', { provider: 'powerdns', reason: 'start' })).to.equal(1);
    expect(sample(text, 'mcdns_provider_batch_changes_count', { provider: 'powerdns' })).to.equal(1);
    expect(sample(text, 'mcdns_provider_batch_changes_sum', { provider: 'powerdns' })).to.equal(6);
    expect(sample(text, 'mcdns_provider_requests_total', { provider: 'powerdns', operation: 'apply', result: 'success' })).to.equal(1);
    expect(sample(text, 'mcdns_provider_requests_total', { provider: 'powerdns', operation: 'records', result: 'success' })).to.equal(1);
  });

  it('sends a batch bigger than one request body as several PATCHes in order, asking the gate before each', async () => {
    zones();
    zone();
    const bodies: Patch[] = [];
    pdns()
      .patch(`${BASE}/zones/example.org.`)
      .times(10)
      .reply(async (request: Request) => {
        bodies.push((await request.json()) as Patch);
        return [204, ''];
      });
    let asked = 0;
    const sink = new ProviderSink({
      provider: new PowerDnsProvider({ server: PDNS, apiKey: 'k', maxPatchBytes: 2000 }),
      ownership: ownershipConfig({ ownerId: 'mcdns' }),
      policy: 'sync',
      driftIntervalMs: 0,
      beforeWrite: () => void asked++,
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => sink.syncRecord(rid(i), [ep(`web-${i}.example.org`, ['192.0.2.1'])])));
    expect(bodies.length).to.be.greaterThan(1);
    expect(bodies.every((b) => JSON.stringify(b).length <= 2000 + 20)).to.equal(true);
    // Every ownership TXT goes out before the first record set.
    const order = bodies.flatMap((b) => b.rrsets.map((r) => r.type));
    expect(order.lastIndexOf('TXT')).to.be.lessThan(order.indexOf('A'));
    // The sink asks once per batch and the provider once per PATCH.
    expect(asked).to.equal(bodies.length + 1);
    nock.cleanAll();
  });

  describe('reading a zone (the answer is parsed as it arrives)', () => {
    const answer = JSON.stringify({
      id: 'example.org.',
      name: 'example.org.',
      rrsets: [
        { name: 'www.example.org.', type: 'A', ttl: 60, records: [{ content: '192.0.2.1', disabled: false }, { content: '192.0.2.9', disabled: true }], comments: [] },
        { name: 'a-www.example.org.', type: 'TXT', ttl: 300, records: [{ content: '"heritage=external-dns,external-dns/owner=mcdns"', disabled: false }], comments: [] },
      ],
      serial: 7,
    });
    const read = () => new PowerDnsProvider({ server: PDNS, apiKey: 'k' }).records('example.org');
    const failure = async () => {
      try {
        await read();
      } catch (err) {
        return err as { kind?: string; message: string };
      }
      throw new Error('the read did not fail');
    };

    it('gives every enabled target of every record set, however the body is split', async () => {
      // 5-byte pieces split names, contents and escapes across chunks.
      const pieces = answer.match(/[\s\S]{1,5}/g)!.map((p) => Buffer.from(p));
      pdns().get(`${BASE}/zones/example.org.`).reply(200, () => Readable.from(pieces), { 'Content-Type': 'application/json' });
      expect(await read()).to.deep.equal([
        { name: 'www.example.org', type: 'A', ttl: 60, targets: ['192.0.2.1'] },
        { name: 'a-www.example.org', type: 'TXT', ttl: 300, targets: ['"heritage=external-dns,external-dns/owner=mcdns"'] },
      ]);
    });

    it('fails a read whose answer was cut short, instead of taking it as a smaller zone', async () => {
      pdns().get(`${BASE}/zones/example.org.`).reply(200, answer.slice(0, answer.indexOf('a-www')), { 'Content-Type': 'application/json' });
      const err = await failure();
      expect(err.kind).to.equal('unavailable');
      expect(err.message).to.equal('PowerDNS GET /zones/example.org.: the answer ended before the end of its JSON');
    });

    it('fails a read whose answer is not JSON, without echoing it', async () => {
      pdns().get(`${BASE}/zones/example.org.`).reply(200, '<html>proxy login</html>', { 'Content-Type': 'text/html' });
      const err = await failure();
      expect(err.kind).to.equal('unavailable');
      expect(err.message).to.match(/^PowerDNS GET \/zones\/example\.org\.: unreadable answer \(/);
      expect(err.message).not.to.contain('proxy login');
    });

    it("names PowerDNS's own error and status when the read is refused", async () => {
      pdns().get(`${BASE}/zones/example.org.`).reply(503, { error: 'backend down' }, { 'Retry-After': '2' });
      const err = (await failure()) as { kind?: string; message: string; retryAfterMs?: number };
      expect([err.kind, err.message, err.retryAfterMs]).to.deep.equal(['unavailable', 'PowerDNS GET /zones/example.org.: HTTP 503: backend down', 2000]);
    });
  });
});

// The PowerDNS provider and the provider sink against a real pdns-server (Debian 4.7, gsqlite3),
// answers checked with dig. Faults come from a small proxy in front of the real API.
import { expect } from 'chai';
import type { Endpoint } from '../../src/api/schema.js';
import { ProviderError } from '../../providers/errors.js';
import { formatOwnership, ownershipConfig, resourceId } from '../../src/plan/ownership.js';
import { ProviderSink, type ProviderSinkOptions } from '../../src/apply/sink.js';
import { PowerDnsProvider } from '../../providers/powerdns/index.js';
import { startPowerDns, type PowerDnsHandle } from '../env/powerdns.js';
import { startFaultProxy, type FaultProxy } from '../providers/fault-proxy.js';
import { capturingLogger, flushLogs } from '../unit/kube/capture-log.js';

const R1 = resourceId('IngressDNSRecord', 'team-a', 'web');
const R2 = resourceId('IngressDNSRecord', 'team-b', 'web');
const ep = (dnsName: string, recordType: string, targets: string[], recordTTL = 60): Endpoint => ({ dnsName, recordType, targets, recordTTL });

describe('providers: PowerDNS (real pdns-server)', function () {
  this.timeout(60_000);
  let pdns: PowerDnsHandle;
  let proxy: FaultProxy;
  const cfg = ownershipConfig({ ownerId: 'mcdns' });

  const provider = (over: { server?: string; apiKey?: string; timeoutMs?: number } = {}) =>
    new PowerDnsProvider({ server: over.server ?? pdns.apiUrl, apiKey: over.apiKey ?? pdns.apiKey, ...(over.timeoutMs ? { timeoutMs: over.timeoutMs } : {}) });
  const sinkFor = (p: PowerDnsProvider, over: Partial<ProviderSinkOptions> = {}) =>
    new ProviderSink({ provider: p, ownership: cfg, policy: 'sync', retry: { baseDelayMs: 50 }, ...over });
  const txt = async (name: string) => (await pdns.rrsets('example.org')).find((r) => r.name === `${name}.` && r.type === 'TXT');

  before(async () => {
    pdns = await startPowerDns();
    await pdns.createZone('example.org');
    await pdns.createZone('eu.example.org');
    proxy = await startFaultProxy(pdns.apiUrl);
  });

  after(async () => {
    await proxy?.close();
    await pdns?.stop();
  });

  it('lists the zones and reads their record sets without trailing dots', async () => {
    const p = provider();
    expect((await p.zones()).sort()).to.deep.equal(['eu.example.org', 'example.org']);
    const records = await p.records('example.org');
    expect(records.find((r) => r.type === 'NS')).to.deep.equal({ name: 'example.org', type: 'NS', ttl: 60, targets: ['ns1.example.org'] });
  });

  it('publishes A and AAAA with ownership TXTs in one PATCH per zone, answered over DNS', async () => {
    const p = provider();
    const requests: string[] = [];
    p.http.interceptors.request.use((c) => {
      requests.push(`${c.method?.toUpperCase()} ${c.url}`);
      return c;
    });
    const sink = sinkFor(p);
    const r = await sink.syncRecord(R1, [
      ep('www.example.org', 'A', ['192.0.2.1', '192.0.2.2'], 45),
      ep('www.example.org', 'AAAA', ['2001:db8::1']),
      ep('www.eu.example.org', 'A', ['192.0.2.3']),
    ]);
    expect(r.applied).to.equal(6);
    expect(r.zoneErrors).to.deep.equal([]);
    expect(requests.filter((x) => x.startsWith('PATCH'))).to.deep.equal(['PATCH /zones/eu.example.org.', 'PATCH /zones/example.org.']);
    expect(await pdns.query('www.example.org', 'A')).to.deep.equal(['192.0.2.1', '192.0.2.2']);
    expect(await pdns.query('www.example.org', 'AAAA')).to.deep.equal(['2001:db8::1']);
    expect(await pdns.query('www.eu.example.org', 'A')).to.deep.equal(['192.0.2.3']);
    const a = await pdns.lookup('www.example.org', 'A');
    expect(a.answers.map((x) => x.ttl)).to.deep.equal([45, 45]);
    // The TXT exactly as ExternalDNS writes it, on the wire and in the API.
    const owner = `"heritage=external-dns,external-dns/owner=mcdns,external-dns/resource=${R1}"`;
    expect(await pdns.query('a-www.example.org', 'TXT')).to.deep.equal([owner]);
    expect(await pdns.query('aaaa-www.example.org', 'TXT')).to.deep.equal([owner]);
    expect((await txt('a-www.example.org'))?.records).to.deep.equal([{ content: owner, disabled: false }]);
  });

  it('writes nothing in a steady state', async () => {
    const p = provider();
    let patches = 0;
    p.http.interceptors.request.use((c) => {
      if (c.method === 'patch') patches++;
      return c;
    });
    const r = await sinkFor(p).syncRecord(R1, [
      ep('www.example.org', 'A', ['192.0.2.2', '192.0.2.1'], 45),
      ep('www.example.org', 'AAAA', ['2001:0db8::1']),
      ep('www.eu.example.org', 'A', ['192.0.2.3']),
    ]);
    expect(r.applied).to.equal(0);
    expect(patches).to.equal(0);
  });

  it('turns an A into a CNAME and back, and deletes what is no longer desired', async () => {
    const sink = sinkFor(provider());
    await sink.syncRecord(R1, [ep('www.example.org', 'CNAME', ['lb.example.net'])]);
    const cname = await pdns.lookup('www.example.org', 'CNAME');
    expect(cname.answers.map((x) => `${x.type} ${x.data}`)).to.deep.equal(['CNAME lb.example.net.']);
    expect(await pdns.query('www.eu.example.org', 'A')).to.deep.equal([]);
    expect(await txt('a-www.example.org')).to.equal(undefined);
    expect(await txt('aaaa-www.example.org')).to.equal(undefined);
    expect(await pdns.query('cname-www.example.org', 'TXT')).to.have.length(1);
    await sink.syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.9'])]);
    expect(await pdns.query('www.example.org', 'A')).to.deep.equal(['192.0.2.9']);
    expect(await txt('cname-www.example.org')).to.equal(undefined);
  });

  it('never modifies a record set owned by another owner id (an ExternalDNS next door)', async () => {
    // What ExternalDNS v0.22 with --txt-owner-id=external-dns leaves in the zone.
    const foreign = `"heritage=external-dns,external-dns/owner=external-dns,external-dns/resource=crd/default/shop"`;
    await pdns.api('PATCH', '/servers/localhost/zones/example.org.', {
      rrsets: [
        { name: 'shop.example.org.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [{ content: '198.51.100.7', disabled: false }] },
        { name: 'a-shop.example.org.', type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: foreign, disabled: false }] },
      ],
    });
    const sink = sinkFor(provider());
    const r = await sink.syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.9']), ep('shop.example.org', 'A', ['192.0.2.10'])]);
    expect(r.conflicts).to.deep.equal([
      {
        name: 'shop.example.org',
        type: 'A',
        zone: 'example.org',
        owner: 'external-dns',
        resource: 'crd/default/shop',
        message: 'A shop.example.org not written: A shop.example.org is owned by owner "external-dns" (resource crd/default/shop)',
      },
    ]);
    expect(await pdns.query('shop.example.org', 'A')).to.deep.equal(['198.51.100.7']);
    // Deleting our record leaves theirs alone too.
    await sink.deleteRecord(R1);
    expect(await pdns.query('www.example.org', 'A')).to.deep.equal([]);
    expect(await pdns.query('shop.example.org', 'A')).to.deep.equal(['198.51.100.7']);
    expect((await txt('a-shop.example.org'))?.records[0]?.content).to.equal(foreign);
  });

  it('lets the first record keep a host; the second (another namespace) gets the conflict', async () => {
    const sink = sinkFor(provider());
    const first = await sink.syncRecord(R1, [ep('app.example.org', 'A', ['192.0.2.21'])]);
    expect(first.applied).to.equal(2);
    const second = await sink.syncRecord(R2, [ep('app.example.org', 'A', ['192.0.2.22'])]);
    expect(second.applied).to.equal(0);
    expect(second.conflicts.map((c) => [c.name, c.owner, c.resource])).to.deep.equal([['app.example.org', 'mcdns', R1]]);
    expect(await pdns.query('app.example.org', 'A')).to.deep.equal(['192.0.2.21']);
    // Once the first lets go, the second has it: the batch right after the one that freed it.
    await sink.deleteRecord(R1);
    await sink.idle();
    expect(await pdns.query('app.example.org', 'A')).to.deep.equal(['192.0.2.22']);
    const third = await sink.syncRecord(R2, [ep('app.example.org', 'A', ['192.0.2.22'])]);
    expect([third.applied, third.conflicts]).to.deep.equal([0, []]);
    await sink.deleteRecord(R2);
  });

  it('keeps a long ownership TXT (over 255 bytes) steady across several character-strings', async () => {
    const long = resourceId('ServiceDNSRecord', 'a-very-long-namespace-name-'.padEnd(63, 'x'), 'service-'.padEnd(200, 'y'));
    const sink = sinkFor(provider());
    expect((await sink.syncRecord(long, [ep('long.example.org', 'A', ['192.0.2.30'])])).applied).to.equal(2);
    const content = (await txt('a-long.example.org'))?.records[0]?.content ?? '';
    expect(content).to.match(/^"heritage=external-dns,[^"]{230,}" "[^"]+"$/);
    expect((await sink.syncRecord(long, [ep('long.example.org', 'A', ['192.0.2.30'])])).applied).to.equal(0);
    expect((await sink.deleteRecord(long)).applied).to.equal(2);
  });

  it('repairs drift at the next check: our record deleted or edited by hand comes back, with one read and one PATCH', async () => {
    const p = provider();
    const requests: string[] = [];
    p.http.interceptors.request.use((c) => {
      requests.push(`${c.method?.toUpperCase()} ${c.url}`);
      return c;
    });
    const sink = sinkFor(p, { driftIntervalMs: 0 });
    await sink.syncRecord(R1, [ep('drift-a.example.org', 'A', ['192.0.2.80']), ep('drift-b.example.org', 'A', ['192.0.2.81'])]);
    await pdns.api('PATCH', '/servers/localhost/zones/example.org.', {
      rrsets: [
        { name: 'drift-a.example.org.', type: 'A', changetype: 'DELETE' },
        { name: 'drift-b.example.org.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: '203.0.113.9', disabled: false }] },
      ],
    });
    requests.length = 0;
    await sink.checkDrift();
    expect([...requests].sort()).to.deep.equal(['GET /zones/eu.example.org.', 'GET /zones/example.org.', 'PATCH /zones/example.org.']);
    expect(await pdns.query('drift-a.example.org', 'A')).to.deep.equal(['192.0.2.80']);
    expect(await pdns.query('drift-b.example.org', 'A')).to.deep.equal(['192.0.2.81']);
    requests.length = 0;
    await sink.checkDrift();
    expect(requests.filter((r) => r.startsWith('PATCH')), 'nothing drifted: no write').to.deep.equal([]);
    await sink.deleteRecord(R1);
  });

  describe('faults', () => {
    it('retries a 503 on the PATCH after re-reading the zone, then answers over DNS', async () => {
      proxy.inject({ method: 'PATCH', status: 503 });
      const sink = sinkFor(provider({ server: proxy.url }));
      const r = await sink.syncRecord(R1, [ep('retry.example.org', 'A', ['192.0.2.40'])]);
      expect(r.applied).to.equal(2);
      expect(proxy.log.filter((l) => l.startsWith('PATCH')).map((l) => l.replace(/ \/api\S+/, ''))).to.deep.equal(['PATCH fault 503', 'PATCH forwarded 204']);
      expect(await pdns.query('retry.example.org', 'A')).to.deep.equal(['192.0.2.40']);
      proxy.log.length = 0;
    });

    it('waits out a 429 Retry-After before the next try', async () => {
      proxy.inject({ method: 'PATCH', status: 429, headers: { 'retry-after': '1' } });
      const sink = sinkFor(provider({ server: proxy.url }));
      const started = Date.now();
      const r = await sink.syncRecord(R1, [ep('retry.example.org', 'A', ['192.0.2.41'])]);
      expect(Date.now() - started).to.be.at.least(1000);
      expect(r.applied).to.equal(1);
      expect(await pdns.query('retry.example.org', 'A')).to.deep.equal(['192.0.2.41']);
    });

    it('gives a hanging request up after the timeout and retries it', async () => {
      proxy.inject({ method: 'PATCH', hangMs: 5000 });
      const sink = sinkFor(provider({ server: proxy.url, timeoutMs: 500 }));
      const r = await sink.syncRecord(R1, [ep('retry.example.org', 'A', ['192.0.2.42'])]);
      expect(r.applied).to.equal(1);
      expect(sink.stats().retries).to.equal(1);
      expect(await pdns.query('retry.example.org', 'A')).to.deep.equal(['192.0.2.42']);
    });

    it('deletes nothing when the zone cannot be read: the sync throws', async () => {
      const sink = sinkFor(provider({ server: proxy.url }), { retry: { attempts: 2, baseDelayMs: 10 } });
      await sink.managedZones();
      proxy.inject({ method: 'GET', status: 500 }, { method: 'GET', status: 500 }, { method: 'GET', status: 500 });
      let thrown: unknown;
      try {
        await sink.syncRecord(R1, []);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.be.instanceOf(ProviderError);
      expect((thrown as ProviderError).kind).to.equal('unavailable');
      expect(await pdns.query('retry.example.org', 'A')).to.deep.equal(['192.0.2.42']);
      while (proxy.pending() > 0) await sinkFor(provider({ server: proxy.url })).managedZones().catch(() => undefined);
    });

    it('reports a wrong API key as an auth error without retrying, and never logs the key', async () => {
      const { logger, lines } = capturingLogger('debug');
      const wrongKey = 'not-the-key-0123456789';
      const sink = sinkFor(provider({ apiKey: wrongKey }), { log: logger });
      let thrown: unknown;
      try {
        await sink.syncRecord(R1, [ep('x.example.org', 'A', ['192.0.2.50'])]);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.be.instanceOf(ProviderError);
      expect((thrown as ProviderError).kind).to.equal('auth');
      expect((thrown as ProviderError).status).to.equal(401);
      expect(sink.stats().retries).to.equal(0);
      // A failing batch logs too: make one and check no line carries either key.
      const ok = sinkFor(provider({ server: proxy.url }), { log: logger, retry: { attempts: 1 } });
      proxy.inject({ method: 'PATCH', status: 500 });
      const r = await ok.syncRecord(R1, [ep('retry.example.org', 'A', ['192.0.2.43'])]);
      expect(r.zoneErrors).to.have.length(1);
      expect(r.applied).to.equal(0);
      await flushLogs();
      const text = JSON.stringify(lines);
      expect(lines.length).to.be.greaterThan(0);
      expect(text).to.not.include(pdns.apiKey);
      expect(text).to.not.include(wrongKey);
      expect(String((thrown as Error).message)).to.not.include(wrongKey);
      await ok.deleteRecord(R1);
    });
  });

  it('speaks the same TXT as ExternalDNS: a record it wrote reads back as owned (content check)', async () => {
    const sink = sinkFor(provider());
    await sink.syncRecord(R1, [ep('compat.example.org', 'A', ['192.0.2.60'])]);
    const rr = await txt('a-compat.example.org');
    expect(rr?.records[0]?.content).to.equal(formatOwnership({ owner: 'mcdns', resource: R1 }));
    await sink.deleteRecord(R1);
    expect(await txt('a-compat.example.org')).to.equal(undefined);
  });
});

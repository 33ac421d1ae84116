// The Azure DNS provider against the ARM REST shapes, with nock: there is no Azure emulator.
// Every request is asserted (method, path, api-version, body, If-Match / If-None-Match), and no
// connection ever leaves the process (nock intercepts the made-up host management.azure.test;
// everything else but 127.0.0.0/8 is refused).
import { expect } from 'chai';
import nock from 'nock';
import { withNock } from './nock-suite.js';
import type { Endpoint } from '../../../src/api/schema.js';
import { ProviderError } from '../../../providers/errors.js';
import { formatOwnership, ownershipConfig, resourceId } from '../../../src/plan/ownership.js';
import { ProviderSink, type ProviderSinkOptions } from '../../../src/apply/sink.js';
import { AzureDnsProvider, azureCredential, parseAzureJson } from '../../../providers/azure/index.js';

// Importing nock patches node:http and net for the whole mocha process, and every spec file is
// loaded before any test runs: switch it off at once, and on only around this suite, so specs
// that talk to real local servers (or expect a refused TCP connection) see plain Node.
nock.restore();

const ARM = 'https://management.azure.test';
const ZONE_PATH = '/subscriptions/sub-1/resourceGroups/dns-rg/providers/Microsoft.Network/dnsZones/example.org';
const API = 'api-version=2018-05-01';
const TOKEN = 'test-token-never-logged';
const R1 = resourceId('IngressDNSRecord', 'team-a', 'web');
const OWNER = formatOwnership({ owner: 'mcdns', resource: R1 });
const ep = (dnsName: string, recordType: string, targets: string[], recordTTL = 60): Endpoint => ({ dnsName, recordType, targets, recordTTL });

const credential = { getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
let sleeps: number[] = [];
const provider = () =>
  new AzureDnsProvider({ subscriptionId: 'sub-1', resourceGroup: 'dns-rg', credential, endpoint: ARM, zones: ['example.org'], sleep: async (ms) => void sleeps.push(ms) });

function rs(name: string, type: string, properties: Record<string, unknown>, etag = `etag-${name}-${type}`) {
  return { id: `${ZONE_PATH}/${type}/${name}`, name, type: `Microsoft.Network/dnszones/${type}`, etag, properties };
}
const soa = rs('@', 'SOA', { TTL: 3600, SOARecord: { host: 'ns1-01.azure-dns.com.', email: 'azuredns-hostmaster.microsoft.com', serialNumber: 1 } });
const ns = rs('@', 'NS', { TTL: 172800, NSRecords: [{ nsdname: 'ns1-01.azure-dns.com.' }] });

describe('providers/azure: ARM REST shapes (nock)', () => {
  const requests: string[] = [];
  const onRequest = (req: { method?: string; url?: string }) => {
    const url = new URL(String(req.url));
    requests.push(`${req.method} ${url.pathname.replace(ZONE_PATH, '<zone>')}`);
  };
  /** A nock scope on the ARM host whose requests are logged in order. */
  const arm = () => nock(ARM).on('request', onRequest);
  const sinkFor = (over: Partial<ProviderSinkOptions> = {}) =>
    new ProviderSink({
      provider: provider(),
      ownership: ownershipConfig({ ownerId: 'mcdns' }),
      policy: 'sync',
      retry: { baseDelayMs: 100, sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
      ...over,
    });
  const list = (...sets: unknown[]) => arm().get(`${ZONE_PATH}/all`).query({ 'api-version': '2018-05-01' }).reply(200, { value: sets });

  withNock(/^(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/, () => {
    requests.length = 0;
    sleeps = [];
  });

  it('reads record sets: apex @, relative names, TXT strings joined, etags kept', async () => {
    list(
      soa,
      ns,
      rs('www', 'A', { TTL: 60, ARecords: [{ ipv4Address: '192.0.2.1' }, { ipv4Address: '192.0.2.2' }] }),
      rs('api', 'CNAME', { TTL: 60, CNAMERecord: { cname: 'LB.example.net.' } }),
      rs('a-www', 'TXT', { TTL: 60, TXTRecords: [{ value: ['"heritage=external-dns,', 'external-dns/owner=x"'] }] }),
      rs('v6', 'AAAA', { TTL: 60, AAAARecords: [{ ipv6Address: '2001:0db8:0:0::1' }] }),
    );
    const records = await provider().records('example.org');
    expect(records.map((r) => [r.name, r.type, r.ttl, r.targets, r.meta?.['etag']])).to.deep.equal([
      ['example.org', 'SOA', 3600, ['ns1-01.azure-dns.com. azuredns-hostmaster.microsoft.com 1'], 'etag-@-SOA'],
      ['example.org', 'NS', 172800, ['ns1-01.azure-dns.com'], 'etag-@-NS'],
      ['www.example.org', 'A', 60, ['192.0.2.1', '192.0.2.2'], 'etag-www-A'],
      ['api.example.org', 'CNAME', 60, ['lb.example.net'], 'etag-api-CNAME'],
      ['a-www.example.org', 'TXT', 60, ['"heritage=external-dns,external-dns/owner=x"'], 'etag-a-www-TXT'],
      ['v6.example.org', 'AAAA', 60, ['2001:db8::1'], 'etag-v6-AAAA'],
    ]);
  });

  it('follows nextLink pages of the record-set list', async () => {
    arm()
      .get(`${ZONE_PATH}/all`)
      .query({ 'api-version': '2018-05-01' })
      .reply(200, { value: [soa], nextLink: `${ARM}${ZONE_PATH}/all?${API}&$skipToken=page2` });
    arm().get(`${ZONE_PATH}/all`).query({ 'api-version': '2018-05-01', $skipToken: 'page2' }).reply(200, { value: [ns] });
    expect((await provider().records('example.org')).map((r) => r.type)).to.deep.equal(['SOA', 'NS']);
  });

  it('lists the zones of the resource group when none are configured', async () => {
    arm()
      .get('/subscriptions/sub-1/resourceGroups/dns-rg/providers/Microsoft.Network/dnsZones')
      .query({ 'api-version': '2018-05-01' })
      .reply(200, { value: [{ name: 'example.org' }, { name: 'Example.NET' }] });
    const p = new AzureDnsProvider({ subscriptionId: 'sub-1', resourceGroup: 'dns-rg', credential, endpoint: ARM });
    expect(await p.zones()).to.deep.equal(['example.org', 'example.net']);
  });

  it('creates the ownership TXT, then the record set, each with If-None-Match: * and a bearer token', async () => {
    list(soa, ns);
    const txt = arm()
      .put(`${ZONE_PATH}/TXT/a-www`, { properties: { TTL: 60, TXTRecords: [{ value: [OWNER] }] } })
      .query({ 'api-version': '2018-05-01' })
      .matchHeader('if-none-match', '*')
      .matchHeader('authorization', `Bearer ${TOKEN}`)
      .reply(201, rs('a-www', 'TXT', {}));
    const a = arm()
      .put(`${ZONE_PATH}/A/www`, { properties: { TTL: 60, ARecords: [{ ipv4Address: '192.0.2.1' }, { ipv4Address: '192.0.2.2' }] } })
      .query({ 'api-version': '2018-05-01' })
      .matchHeader('if-none-match', '*')
      .reply(201, rs('www', 'A', {}));
    const r = await sinkFor().syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.2', '192.0.2.1'])]);
    expect(r.applied).to.equal(2);
    expect(txt.isDone() && a.isDone()).to.equal(true);
    expect(requests).to.deep.equal(['GET <zone>/all', 'PUT <zone>/TXT/a-www', 'PUT <zone>/A/www']);
  });

  it('writes a batch of several records in steps: all ownership TXTs side by side, then the record sets', async () => {
    list(soa, ns);
    let inFlight = 0;
    let most = 0;
    const slow = async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return [201, {}] as [number, object];
    };
    arm().put(/\/TXT\/a-(one|two|three)$/).query(true).times(3).reply(slow);
    arm().put(/\/A\/(one|two|three)$/).query(true).times(3).reply(slow);
    const sink = sinkFor();
    const results = await Promise.all(
      ['one', 'two', 'three'].map((n, i) => sink.syncRecord(resourceId('IngressDNSRecord', 'team-a', n), [ep(`${n}.example.org`, 'A', [`192.0.2.${i + 1}`])])),
    );
    expect(results.map((r) => r.applied)).to.deep.equal([2, 2, 2]);
    expect(most).to.equal(3);
    expect(requests.slice(1, 4).every((r) => r.includes('/TXT/'))).to.equal(true);
    expect(requests.slice(4).every((r) => r.includes('/A/'))).to.equal(true);
  });

  it('updates with If-Match of the etag it read and deletes record before TXT, also with If-Match', async () => {
    list(
      soa,
      rs('www', 'A', { TTL: 60, ARecords: [{ ipv4Address: '192.0.2.1' }] }, 'W/"a1"'),
      rs('a-www', 'TXT', { TTL: 60, TXTRecords: [{ value: [OWNER] }] }, 'W/"t1"'),
      rs('old', 'A', { TTL: 60, ARecords: [{ ipv4Address: '192.0.2.9' }] }, 'W/"o1"'),
      rs('a-old', 'TXT', { TTL: 60, TXTRecords: [{ value: [OWNER] }] }, 'W/"o2"'),
    );
    arm().delete(`${ZONE_PATH}/A/old`).query({ 'api-version': '2018-05-01' }).matchHeader('if-match', 'W/"o1"').reply(200);
    arm()
      .put(`${ZONE_PATH}/A/www`, { properties: { TTL: 30, ARecords: [{ ipv4Address: '192.0.2.3' }] } })
      .query({ 'api-version': '2018-05-01' })
      .matchHeader('if-match', 'W/"a1"')
      .reply(200, rs('www', 'A', {}));
    arm().delete(`${ZONE_PATH}/TXT/a-old`).query({ 'api-version': '2018-05-01' }).matchHeader('if-match', 'W/"o2"').reply(204);
    const r = await sinkFor().syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.3'], 30)]);
    expect(r.applied).to.equal(3);
    expect(requests).to.deep.equal(['GET <zone>/all', 'DELETE <zone>/A/old', 'PUT <zone>/A/www', 'DELETE <zone>/TXT/a-old']);
  });

  it('writes the apex as @ (with --txt-prefix=%{record_type}. for an in-zone TXT)', async () => {
    list(soa, ns);
    arm().put(`${ZONE_PATH}/TXT/a`, { properties: { TTL: 60, TXTRecords: [{ value: [OWNER] }] } }).query(true).reply(201, {});
    arm().put(`${ZONE_PATH}/A/@`, { properties: { TTL: 60, ARecords: [{ ipv4Address: '192.0.2.1' }] } }).query(true).reply(201, {});
    const sink = sinkFor({ ownership: ownershipConfig({ ownerId: 'mcdns', txtPrefix: '%{record_type}.' }) });
    expect((await sink.syncRecord(R1, [ep('example.org', 'A', ['192.0.2.1'])])).applied).to.equal(2);
    expect(requests.slice(1)).to.deep.equal(['PUT <zone>/TXT/a', 'PUT <zone>/A/@']);
  });

  it('reports more than 20 records per record set as a problem before any write', async () => {
    list(soa);
    const many = Array.from({ length: 21 }, (_, i) => `192.0.2.${i + 1}`);
    const r = await sinkFor().syncRecord(R1, [ep('www.example.org', 'A', many)]);
    expect(r.problems).to.deep.equal([
      { name: 'www.example.org', type: 'A', zone: 'example.org', reason: 'too-many-targets', message: 'A www.example.org: 21 targets, the provider allows 20 per record set' },
    ]);
    expect(requests).to.deep.equal(['GET <zone>/all']);
  });

  it('honours 429 Retry-After: waits as long as asked, then sends the same call again', async () => {
    list(soa);
    arm().put(`${ZONE_PATH}/TXT/a-www`).query(true).reply(429, { error: { code: 'TooManyRequests', message: 'throttled' } }, { 'Retry-After': '2' });
    arm().put(`${ZONE_PATH}/TXT/a-www`).query(true).reply(201, {});
    arm().put(`${ZONE_PATH}/A/www`).query(true).reply(201, {});
    const r = await sinkFor().syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.1'])]);
    expect(r.applied).to.equal(2);
    expect(sleeps).to.deep.equal([2000]);
    expect(requests).to.deep.equal(['GET <zone>/all', 'PUT <zone>/TXT/a-www', 'PUT <zone>/TXT/a-www', 'PUT <zone>/A/www']);
  });

  it('retries a 5xx after a fresh list: what went in before is not written twice', async () => {
    list(soa);
    arm().put(`${ZONE_PATH}/TXT/a-www`).query(true).reply(201, {});
    arm().put(`${ZONE_PATH}/A/www`).query(true).reply(503, { error: { code: 'ServiceUnavailable', message: 'try later' } });
    list(soa, rs('a-www', 'TXT', { TTL: 60, TXTRecords: [{ value: [OWNER] }] }));
    arm().put(`${ZONE_PATH}/A/www`).query(true).matchHeader('if-none-match', '*').reply(201, {});
    const r = await sinkFor().syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.1'])]);
    expect(r.applied).to.equal(1);
    expect(r.changes[0]?.changes.map((c) => `${c.action} ${c.record.type}`)).to.deep.equal(['create A']);
    expect(requests).to.deep.equal(['GET <zone>/all', 'PUT <zone>/TXT/a-www', 'PUT <zone>/A/www', 'GET <zone>/all', 'PUT <zone>/A/www']);
  });

  it('re-reads after 412 (someone changed the record set) and updates with the new etag', async () => {
    const owned = rs('a-www', 'TXT', { TTL: 60, TXTRecords: [{ value: [OWNER] }] });
    list(rs('www', 'A', { TTL: 60, ARecords: [{ ipv4Address: '192.0.2.1' }] }, 'e1'), owned);
    arm().put(`${ZONE_PATH}/A/www`).query(true).matchHeader('if-match', 'e1').reply(412, { error: { code: 'PreconditionFailed', message: 'etag' } });
    list(rs('www', 'A', { TTL: 60, ARecords: [{ ipv4Address: '192.0.2.7' }] }, 'e2'), owned);
    arm().put(`${ZONE_PATH}/A/www`).query(true).matchHeader('if-match', 'e2').reply(200, {});
    const r = await sinkFor().syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.3'])]);
    expect(r.applied).to.equal(1);
    expect(r.zoneErrors).to.deep.equal([]);
  });

  it('fails 401 at once as an auth error, never counted as applied, token not in the message', async () => {
    list(soa);
    arm()
      .put(`${ZONE_PATH}/TXT/a-www`)
      .query(true)
      .reply(401, { error: { code: 'AuthenticationFailed', message: 'Authentication failed.' } });
    const r = await sinkFor().syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.1'])]);
    expect(r.applied).to.equal(0);
    expect(r.changes).to.deep.equal([]);
    expect(r.zoneErrors).to.have.length(1);
    expect(r.zoneErrors[0]).to.include({ zone: 'example.org', kind: 'auth' });
    expect(r.zoneErrors[0]?.message).to.match(/HTTP 401 AuthenticationFailed/);
    expect(r.zoneErrors[0]?.message).to.not.include(TOKEN);
    expect(sleeps).to.deep.equal([]);
  });

  it('reports a batch that failed half-way as failed, and the next sync writes only the rest', async () => {
    list(soa);
    arm().put(`${ZONE_PATH}/TXT/a-www`).query(true).reply(201, {});
    arm().put(`${ZONE_PATH}/A/www`).query(true).reply(400, { error: { code: 'BadRequest', message: 'nope' } });
    const sink = sinkFor();
    const first = await sink.syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.1'])]);
    expect(first.applied).to.equal(0);
    expect(first.zoneErrors[0]).to.include({ kind: 'rejected' });
    list(soa, rs('a-www', 'TXT', { TTL: 60, TXTRecords: [{ value: [OWNER] }] }));
    arm().put(`${ZONE_PATH}/A/www`).query(true).reply(201, {});
    const second = await sink.syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.1'])]);
    expect(second.applied).to.equal(1);
  });

  it('throws and writes nothing when the list fails (no deletes from a failed read)', async () => {
    arm().get(`${ZONE_PATH}/all`).query(true).times(4).reply(500, { error: { code: 'InternalServerError', message: 'x' } });
    let thrown: unknown;
    try {
      await sinkFor().syncRecord(R1, []);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(ProviderError);
    expect(requests.every((r) => r.startsWith('GET'))).to.equal(true);
  });

  describe('credentials', () => {
    it('uses a service principal when a client secret is given (env or mounted file)', () => {
      expect(azureCredential({ tenantId: 't', clientId: 'c', clientSecret: 's' }).kind).to.equal('client-secret');
      expect(() => azureCredential({ clientSecret: 's' })).to.throw(/AZURE_TENANT_ID and AZURE_CLIENT_ID/);
    });

    it('uses workload identity with a federated token file, managed identity on request, else the default chain', () => {
      expect(azureCredential({ tenantId: 't', clientId: 'c', federatedTokenFile: '/var/run/secrets/azure/tokens/azure-identity-token' }).kind).to.equal('workload-identity');
      expect(azureCredential({ useManagedIdentity: true, clientId: 'c' }).kind).to.equal('managed-identity');
      expect(azureCredential({}).kind).to.equal('default');
    });

    it('reads ExternalDNS\'s azure.json', () => {
      const cfg = parseAzureJson('{"tenantId":"t","subscriptionId":"s","resourceGroup":"rg","aadClientId":"c","aadClientSecret":"x"}');
      expect(cfg).to.include({ subscriptionId: 's', resourceGroup: 'rg', aadClientId: 'c' });
      expect(() => parseAzureJson('[]')).to.throw(/not a JSON object/);
    });
  });
});

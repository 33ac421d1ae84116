// The CoreDNS-etcd provider against a real etcd and a real CoreDNS (etcd plugin) answering dig.
import { expect } from 'chai';
import type { Endpoint } from '../../src/api/schema.js';
import { ProviderError } from '../../providers/errors.js';
import { formatOwnership, ownershipConfig, resourceId } from '../../src/plan/ownership.js';
import { ProviderSink } from '../../src/apply/sink.js';
import { CoreDnsEtcdProvider } from '../../providers/coredns-etcd/index.js';
import { startCoreDns, type CoreDnsHandle } from '../env/coredns.js';
import { startEtcd, type EtcdHandle } from '../env/etcd.js';
import { freePort } from '../env/ports.js';

const R1 = resourceId('IngressDNSRecord', 'team-a', 'web');
const R2 = resourceId('ServiceDNSRecord', 'team-b', 'api');
const OWNER_R1 = formatOwnership({ owner: 'mcdns', resource: R1 });
const ep = (dnsName: string, recordType: string, targets: string[], recordTTL = 30): Endpoint => ({ dnsName, recordType, targets, recordTTL });

describe('providers: CoreDNS-etcd (real etcd + CoreDNS)', function () {
  this.timeout(60_000);
  let etcd: EtcdHandle;
  let coredns: CoreDnsHandle;
  let provider: CoreDnsEtcdProvider;
  let sink: ProviderSink;

  const keys = async (under = '/skydns/org/example/') => (await etcd.getPrefix(under)).map((kv) => kv.key);
  const values = async (under: string) => (await etcd.getPrefix(under)).map((kv) => JSON.parse(kv.value) as Record<string, unknown>);

  before(async () => {
    etcd = await startEtcd();
    coredns = await startCoreDns({ etcd, zones: 'example.org' });
    provider = new CoreDnsEtcdProvider({ endpoints: [etcd.clientUrl], zones: ['example.org'] });
    sink = new ProviderSink({ provider, ownership: ownershipConfig({ ownerId: 'mcdns' }), policy: 'sync', retry: { baseDelayMs: 50 } });
  });

  after(async () => {
    await provider?.close();
    await coredns?.stop();
    await etcd?.stop();
  });

  it('writes the SkyDNS layout: one key per target under the reversed name, TXT ownership as a text entry', async () => {
    const r = await sink.syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.1', '192.0.2.2']), ep('www.example.org', 'AAAA', ['2001:db8::1'])]);
    expect(r.applied).to.equal(4);
    const www = await etcd.getPrefix('/skydns/org/example/www/');
    expect(www.map((kv) => kv.key.replace(/[0-9a-f]{8}$/, '<id>'))).to.deep.equal([
      '/skydns/org/example/www/<id>',
      '/skydns/org/example/www/<id>',
      '/skydns/org/example/www/<id>',
    ]);
    expect(www.map((kv) => JSON.parse(kv.value) as unknown)).to.have.deep.members([
      { host: '192.0.2.1', ttl: 30, targetstrip: 1 },
      { host: '192.0.2.2', ttl: 30, targetstrip: 1 },
      { host: '2001:db8::1', ttl: 30, targetstrip: 1 },
    ]);
    expect(await values('/skydns/org/example/a-www/')).to.deep.equal([{ text: OWNER_R1, ttl: 30, targetstrip: 1 }]);
    expect(await values('/skydns/org/example/aaaa-www/')).to.deep.equal([{ text: OWNER_R1, ttl: 30, targetstrip: 1 }]);
  });

  it('is answered by CoreDNS: A, AAAA and the ownership TXT', async () => {
    expect(await coredns.query('www.example.org', 'A')).to.deep.equal(['192.0.2.1', '192.0.2.2']);
    expect(await coredns.query('www.example.org', 'AAAA')).to.deep.equal(['2001:db8::1']);
    const txt = await coredns.lookup('a-www.example.org', 'TXT');
    expect(txt.answers.map((a) => a.data)).to.deep.equal([`"${OWNER_R1.replace(/"/g, '\\"')}"`]);
    expect(txt.answers[0]?.ttl).to.equal(30);
  });

  it('reads back what it wrote: a steady state writes nothing', async () => {
    const before = (await etcd.getPrefix('/skydns/')).map((kv) => `${kv.key}=${kv.value}`);
    const r = await sink.syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.2', '192.0.2.1']), ep('www.example.org', 'AAAA', ['2001:0db8::1'])]);
    expect(r.applied).to.equal(0);
    expect((await etcd.getPrefix('/skydns/')).map((kv) => `${kv.key}=${kv.value}`)).to.deep.equal(before);
  });

  it('removes obsolete keys on every change (no stale targets, ExternalDNS #808)', async () => {
    await sink.syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.3']), ep('www.example.org', 'AAAA', ['2001:db8::1'])]);
    expect(await coredns.query('www.example.org', 'A')).to.deep.equal(['192.0.2.3']);
    const hosts = (await values('/skydns/org/example/www/')).map((v) => v['host']);
    expect(hosts).to.have.members(['192.0.2.3', '2001:db8::1']);
    expect(hosts).to.have.length(2);
  });

  it('switches to a CNAME that CoreDNS follows, and removes the A, AAAA and their TXT keys', async () => {
    await sink.syncRecord(R1, [ep('www.example.org', 'A', ['192.0.2.50']), ep('web.example.org', 'CNAME', ['www.example.org'])]);
    await sink.syncRecord(R1, [ep('lb.example.org', 'A', ['192.0.2.51']), ep('web.example.org', 'CNAME', ['lb.example.org'])]);
    const answer = await coredns.lookup('web.example.org', 'A');
    expect(answer.answers.map((a) => `${a.type} ${a.data}`).sort()).to.deep.equal(['A 192.0.2.51', 'CNAME lb.example.org.']);
    expect(await keys('/skydns/org/example/www/')).to.deep.equal([]);
    expect(await keys('/skydns/org/example/a-www/')).to.deep.equal([]);
    expect(await keys('/skydns/org/example/aaaa-www/')).to.deep.equal([]);
    expect((await coredns.lookup('www.example.org', 'A')).status).to.equal('NXDOMAIN');
  });

  it('never touches keys another owner wrote, and a second resource cannot take a host', async () => {
    // What ExternalDNS's coredns provider writes for its own record: a random id, TXT beside it.
    await etcd.put('/skydns/org/example/shop/6b8b4567', JSON.stringify({ host: '198.51.100.7', ttl: 300, targetstrip: 1 }));
    const foreign = formatOwnership({ owner: 'external-dns', resource: 'crd/default/shop' });
    await etcd.put('/skydns/org/example/a-shop/327b23c6', JSON.stringify({ text: foreign, targetstrip: 1 }));
    const r = await sink.syncRecord(R2, [ep('shop.example.org', 'A', ['192.0.2.60']), ep('lb.example.org', 'A', ['192.0.2.61'])]);
    expect(r.applied).to.equal(0);
    expect(r.conflicts.map((c) => [c.name, c.owner, c.resource])).to.deep.equal([
      ['lb.example.org', 'mcdns', R1],
      ['shop.example.org', 'external-dns', 'crd/default/shop'],
    ]);
    expect(await coredns.query('shop.example.org', 'A')).to.deep.equal(['198.51.100.7']);
    expect(await coredns.query('lb.example.org', 'A')).to.deep.equal(['192.0.2.51']);
    expect(await keys('/skydns/org/example/shop/')).to.deep.equal(['/skydns/org/example/shop/6b8b4567']);
  });

  it('writes nothing below a name another owner holds, since CoreDNS would add it to their answer', async () => {
    const r = await sink.syncRecord(R2, [ep('api.shop.example.org', 'A', ['192.0.2.62'])]);
    expect(r.applied).to.equal(0);
    expect(r.conflicts.map((c) => [c.name, c.owner])).to.deep.equal([['api.shop.example.org', 'external-dns']]);
    expect(r.conflicts[0]?.message).to.contain('would change the answer for A shop.example.org');
    expect(await coredns.query('shop.example.org', 'A')).to.deep.equal(['198.51.100.7']);
    expect(await keys('/skydns/org/example/shop/')).to.deep.equal(['/skydns/org/example/shop/6b8b4567']);
  });

  it('deletes every key it owns, TXT keys included, and nothing else', async () => {
    const r = await sink.deleteRecord(R1);
    expect(r.applied).to.equal(4);
    expect((await coredns.lookup('web.example.org', 'A')).status).to.equal('NXDOMAIN');
    expect(await keys()).to.deep.equal(['/skydns/org/example/a-shop/327b23c6', '/skydns/org/example/shop/6b8b4567']);
  });

  it('cuts a batch over the transaction op limit into transactions in order: every TXT key exists before its record', async () => {
    const small = new CoreDnsEtcdProvider({ endpoints: [etcd.clientUrl], zones: ['example.org'], maxTxnOps: 8 });
    const batchSink = new ProviderSink({ provider: small, ownership: ownershipConfig({ ownerId: 'mcdns' }), policy: 'sync', driftIntervalMs: 0 });
    const names = Array.from({ length: 12 }, (_, i) => `many-${i}`);
    const results = await Promise.all(names.map((n) => batchSink.syncRecord(resourceId('IngressDNSRecord', 'bulk', n), [ep(`${n}.example.org`, 'A', ['192.0.2.70', '192.0.2.71'])])));
    expect(results.map((r) => r.applied)).to.deep.equal(names.map(() => 2));
    expect(batchSink.stats().batches).to.equal(1);
    const kvs = (await small.namespace().getAll().prefix('org/example/').exec()).kvs;
    const created = (label: string) => kvs.filter((kv) => kv.key.toString().startsWith(`org/example/${label}/`)).map((kv) => Number(kv.create_revision));
    const revisions = new Set(kvs.map((kv) => kv.create_revision));
    expect(revisions.size, 'several transactions').to.be.greaterThan(1);
    for (const n of names) {
      expect(created(n)).to.have.length(2);
      expect(Math.max(...created(`a-${n}`))).to.be.at.most(Math.min(...created(n)));
    }
    expect(await coredns.query('many-11.example.org', 'A')).to.deep.equal(['192.0.2.70', '192.0.2.71']);
    await Promise.all(names.map((n) => batchSink.deleteRecord(resourceId('IngressDNSRecord', 'bulk', n))));
    expect(await keys('/skydns/org/example/many-')).to.deep.equal([]);
    await small.close();
  });

  it('fails a read against an unreachable etcd with a provider error and writes nothing', async () => {
    const port = await freePort();
    const down = new CoreDnsEtcdProvider({ endpoints: [`http://127.0.0.1:${port}`], zones: ['example.org'], timeoutMs: 1000 });
    const downSink = new ProviderSink({ provider: down, ownership: ownershipConfig(), policy: 'sync', retry: { attempts: 2, baseDelayMs: 10 }, callTimeoutMs: 5000 });
    let thrown: unknown;
    try {
      await downSink.syncRecord(R1, []);
    } catch (err) {
      thrown = err;
    }
    await down.close();
    expect(thrown).to.be.instanceOf(ProviderError);
    expect((thrown as ProviderError).retryable, String(thrown)).to.equal(true);
  });
});

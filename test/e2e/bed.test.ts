// Smoke test of the real-component test bed (test/env): two member API servers, a host API server,
// PowerDNS and real ExternalDNS, all on 127.0.0.1.
import { expect } from 'chai';
import { CoreV1Api, CustomObjectsApi, NetworkingV1Api, type V1Ingress } from '@kubernetes/client-node';
import { startBed, type Bed } from '../env/index.js';

describe('test bed', function () {
  this.timeout(180_000);
  let bed: Bed | undefined;

  before(async function () {
    bed = await startBed({ members: ['member1', 'member2'], powerdns: true, externalDns: true, coredns: false, zone: 'example.org' });
    // Visible with --reporter spec: how long the real components took to come up.
    console.log(`      bed up in ${bed.timings['total']} ms: ${JSON.stringify(bed.timings)}`);
  });

  after(async function () {
    await bed?.stop();
  });

  const b = (): Bed => {
    if (!bed) throw new Error('bed not started');
    return bed;
  };

  it('has one kubeconfig context per cluster, host current', async function () {
    const kc = b().kubeConfig('member1');
    expect(kc.getContexts().map((c) => c.name).sort()).to.deep.equal(['host', 'member1', 'member2']);
    for (const name of b().clusters) {
      const core = b().kubeConfig(name).makeApiClient(CoreV1Api);
      const nss = await core.listNamespace();
      expect(nss.items.map((n) => n.metadata?.name)).to.include('default');
    }
  });

  it('keeps the clusters apart (distinct etcd prefixes)', async function () {
    const core1 = b().kubeConfig('member1').makeApiClient(CoreV1Api);
    const core2 = b().kubeConfig('member2').makeApiClient(CoreV1Api);
    await core1.createNamespace({ body: { metadata: { name: 'only-in-member1' } } });
    const names2 = (await core2.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names2).to.not.include('only-in-member1');
  });

  it('installs CRDs exactly as shipped, so their enums are enforced (as after `kubectl apply -k manifests/`)', async function () {
    const [crd] = await b().apply('host', 'manifests/crds/ingressdnsrecords.multiclusterdns.kubefed.io.yaml');
    const schema = JSON.stringify(crd);
    expect(schema).to.contain('"enum":["roundRobin","failover"]');
    await b().apply('host', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crd-check' } });
    const record = (strategy: string) => ({
      apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
      kind: 'IngressDNSRecord',
      metadata: { name: `r-${strategy.toLowerCase()}`, namespace: 'crd-check' },
      spec: { hosts: ['a.example.org'], strategy },
    });
    let refused: Error | undefined;
    await b().apply('host', record('Fastest')).catch((e: Error) => (refused = e));
    expect(refused?.message, 'refused').to.match(/HTTP-Code: 422/);
    expect(refused?.message).to.match(/spec\.strategy: Unsupported value: .{0,4}Fastest/);
    await b().apply('host', record('failover'));
  });

  it('stores an Ingress in a member and its status.loadBalancer through the status subresource', async function () {
    const kc = b().kubeConfig('member1');
    const core = kc.makeApiClient(CoreV1Api);
    const net = kc.makeApiClient(NetworkingV1Api);
    await core.createNamespace({ body: { metadata: { name: 'demo' } } });
    const ing: V1Ingress = {
      metadata: { name: 'web', namespace: 'demo' },
      spec: {
        rules: [
          {
            host: 'www.example.org',
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] },
          },
        ],
      },
    };
    const created = await net.createNamespacedIngress({ namespace: 'demo', body: ing });
    created.status = { loadBalancer: { ingress: [{ ip: '127.0.0.11' }] } };
    await net.replaceNamespacedIngressStatus({ name: 'web', namespace: 'demo', body: created });
    const back = await net.readNamespacedIngress({ name: 'web', namespace: 'demo' });
    expect(back.status?.loadBalancer?.ingress?.map((i) => i.ip)).to.deep.equal(['127.0.0.11']);
    // Not in member2.
    const net2 = b().kubeConfig('member2').makeApiClient(NetworkingV1Api);
    const list2 = await net2.listIngressForAllNamespaces();
    expect(list2.items).to.have.length(0);
  });

  it('serves PowerDNS zones over DNS (SOA)', async function () {
    const pdns = b().powerdns!;
    expect(await pdns.query('example.org', 'SOA')).to.have.length(1);
    expect((await pdns.query('example.org', 'SOA'))[0]).to.match(/^ns1\.example\.org\. hostmaster\.example\.org\. \d+ /);
    await pdns.createZone('example.net');
    const soa = await pdns.query('example.net', 'SOA');
    expect(soa).to.have.length(1);
    expect(soa[0]).to.match(/^ns1\.example\.net\. hostmaster\.example\.net\. \d+ 10800 3600 604800 60$/);
    expect((await pdns.lookup('nothing.example.net', 'A')).status).to.equal('NXDOMAIN');
  });

  it('lets real ExternalDNS publish a DNSEndpoint from the host into PowerDNS, with TXT ownership', async function () {
    const pdns = b().powerdns!;
    const xdns = b().externalDns!;
    const host = b().kubeConfig('host');
    const core = host.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'dns' } } });
    const custom = host.makeApiClient(CustomObjectsApi);
    const t0 = Date.now();
    await custom.createNamespacedCustomObject({
      group: 'externaldns.k8s.io',
      version: 'v1alpha1',
      namespace: 'dns',
      plural: 'dnsendpoints',
      body: {
        apiVersion: 'externaldns.k8s.io/v1alpha1',
        kind: 'DNSEndpoint',
        metadata: { name: 'ingress-web', namespace: 'dns' },
        spec: { endpoints: [{ dnsName: 'www.example.org', recordType: 'A', targets: ['127.0.0.11'], recordTTL: 30 }] },
      },
    });
    const a = await pdns.waitForAnswer('www.example.org', 'A', (ans) => ans.includes('127.0.0.11'), 60_000);
    const latency = Date.now() - t0;
    console.log(`      ExternalDNS ${xdns.version} published www.example.org A in ${latency} ms`);
    expect(a).to.deep.equal(['127.0.0.11']);
    const full = await pdns.lookup('www.example.org', 'A');
    expect(full.answers[0]?.ttl).to.equal(30);

    // Ownership TXT: the registry writes `<type>-<name>` (ExternalDNS >= 0.16 naming).
    const rrsets = await pdns.rrsets('example.org');
    const txt = rrsets.filter((r) => r.type === 'TXT').map((r) => ({ name: r.name, content: r.records.map((x) => x.content) }));
    console.log(`      TXT rrsets written by ExternalDNS: ${JSON.stringify(txt)}`);
    const owner = await pdns.query('a-www.example.org', 'TXT');
    expect(owner).to.have.length(1);
    expect(owner[0]).to.equal(`"heritage=external-dns,external-dns/owner=${xdns.ownerId},external-dns/resource=crd/dns/ingress-web"`);

    // ExternalDNS wrote status.observedGeneration.
    type Obj = { metadata: { generation: number }; status?: { observedGeneration?: number } };
    await waitFor(async () => {
      const o = (await custom.getNamespacedCustomObject({
        group: 'externaldns.k8s.io',
        version: 'v1alpha1',
        namespace: 'dns',
        plural: 'dnsendpoints',
        name: 'ingress-web',
      })) as Obj;
      return o.status?.observedGeneration === o.metadata.generation;
    }, 20_000, 'status.observedGeneration');
  });

  it('stops and restarts one member API server on the same port', async function () {
    const m1 = b().apiServer('member1');
    const port = m1.port;
    const core = b().kubeConfig('member1').makeApiClient(CoreV1Api);
    await m1.stop();
    expect(await m1.isReady()).to.equal(false);
    let failed = false;
    try {
      await core.listNamespace();
    } catch {
      failed = true;
    }
    expect(failed, 'member1 must refuse while stopped').to.equal(true);
    // The other clusters are unaffected.
    expect(await b().apiServer('member2').isReady()).to.equal(true);
    const t0 = Date.now();
    await m1.start();
    console.log(`      member1 API server back in ${Date.now() - t0} ms`);
    expect(m1.port).to.equal(port);
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).to.include('demo'); // state survived in etcd
  });
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('test bed with CoreDNS (etcd plugin)', function () {
  this.timeout(180_000);
  let bed: Bed | undefined;

  before(async function () {
    bed = await startBed({ members: [], powerdns: false, coredns: true, zone: 'example.org' });
  });

  after(async function () {
    await bed?.stop();
  });

  it('answers from SkyDNS keys written to the bed etcd', async function () {
    const { etcd, coredns } = bed!;
    // The layout ExternalDNS's coredns provider writes: /skydns/<reversed labels>/<id>, one key per target.
    await etcd.put('/skydns/org/example/www/1a2b3c4d', JSON.stringify({ host: '127.0.0.21', ttl: 30, targetstrip: 1 }));
    await etcd.put('/skydns/org/example/www/5e6f7a8b', JSON.stringify({ host: '127.0.0.22', ttl: 30, targetstrip: 1 }));
    await etcd.put('/skydns/org/example/api/0a0b0c0d', JSON.stringify({ host: 'www.example.org', ttl: 30 }));
    expect(await coredns!.query('www.example.org', 'A')).to.deep.equal(['127.0.0.21', '127.0.0.22']);
    // CoreDNS 1.14.7 answers an explicit CNAME query with NXDOMAIN when the CNAME sits under an
    // id sub-key (as here and as ExternalDNS writes it); an A query follows the CNAME.
    const api = await coredns!.lookup('api.example.org', 'A');
    expect(api.answers.map((a) => `${a.type} ${a.data}`).sort()).to.deep.equal(['A 127.0.0.21', 'A 127.0.0.22', 'CNAME www.example.org.']);
    expect((await etcd.getPrefix('/skydns/org/example/')).map((kv) => kv.key)).to.have.length(3);
    expect(await etcd.deletePrefix('/skydns/org/example/www/')).to.equal(2);
    expect(await coredns!.query('www.example.org', 'A')).to.deep.equal([]);
  });
});

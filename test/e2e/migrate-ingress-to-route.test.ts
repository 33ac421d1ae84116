// Moving one name from an IngressDNSRecord to a RouteDNSRecord without a DNS gap, as
// docs/migrating-from-ingress.md tells it, on the real sandbox: real API servers (the member with
// the Gateway API CRDs), the built controller writing real PowerDNS directly (--provider=powerdns,
// TXT ownership), PowerDNS sampled back to back all along.
//
//   1. the Ingress serves www and legacy (127.0.0.41); the IngressDNSRecord publishes both;
//   2. the RouteDNSRecord for the HTTPRoute (its Gateway at 127.0.0.42) is created with www: the
//      younger claim, so it waits (NameConflict) and www keeps its Ingress address;
//   3. www is removed from the IngressDNSRecord: the claims hand www to the route record, whose
//      first write replaces the A record and rewrites the ownership TXT to it — one PATCH.
// Every sample of www answers (.41, then .42); none misses.
import { expect } from 'chai';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { DNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { startCountingProxy, type CountingProxy } from '../env/counting-proxy.js';
import { putGateway, putRoute, setGatewayAddresses, setRouteParents } from '../env/gateway-api.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress, setReadyEndpoints } from '../env/workloads.js';

const NS = 'mig';
const WWW = 'www.mig.example.org';
const LEGACY = 'legacy.mig.example.org';
const INGRESS_IP = '127.0.0.41';
const GATEWAY_IP = '127.0.0.42';
const OWNER = 'mcdns-migration';

describe('end to end: moving a name from an IngressDNSRecord to a RouteDNSRecord answers every query (PowerDNS, direct)', function () {
  this.timeout(600_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  let proxy: CountingProxy;
  const custom = () => bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
  const record = async (plural: string, name: string) =>
    (await custom().getNamespacedCustomObject({ group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural, name })) as DNSRecord;
  const ready = (r: DNSRecord) => r.status?.conditions?.find((c) => c.type === 'Ready');
  const answer = async (name: string) => (await bed.powerdns!.query(name, 'A')).sort().join(',');
  const owner = async (name: string) => (await bed.powerdns!.query(`a-${name}`, 'TXT')).join('');
  const ingressRecord = (hosts: string[]) => `
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: IngressDNSRecord
metadata: {name: shop, namespace: ${NS}}
spec:
  hosts: [${hosts.join(', ')}]
  recordTTL: 5
`;

  const samples: string[] = [];
  let sampling = false;
  let sampler: Promise<void> | undefined;

  before(async () => {
    bed = await startBed({ members: ['member1'], externalDns: false, gatewayApi: ['member1'] });
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await installMcdnsCrds((m) => bed.apply('host', m));
    const kc = bed.kubeConfig('member1');
    await putIngress(kc, NS, 'shop', [WWW, LEGACY], [INGRESS_IP]);
    await putGateway(kc, NS, 'gw');
    await setGatewayAddresses(kc, NS, 'gw', [GATEWAY_IP]);
    await putRoute(kc, 'HTTPRoute', NS, 'shop', { hostnames: [WWW], parents: ['gw'], backends: [{ name: 'web' }] });
    await setRouteParents(kc, 'HTTPRoute', NS, 'shop', [{ parent: 'gw', accepted: true }]);
    await setReadyEndpoints(kc, NS, 'web', 1);
    proxy = await startCountingProxy(bed.powerdns!.apiUrl);
    mcdns = startMcdns(
      [...bedFlags(bed), '--heartbeat-interval=1s', '--provider=powerdns', `--pdns-server=${proxy.url}`, `--txt-owner-id=${OWNER}`],
      { MCDNS_PDNS_API_KEY: bed.powerdns!.apiKey },
    );
  });

  tearDownSuite(() => ({ mcdns, bed }));

  after(async () => {
    sampling = false;
    await sampler;
    await proxy?.close();
  });

  it('publishes the name from the Ingress', async () => {
    await bed.apply('host', ingressRecord([WWW, LEGACY]));
    await eventually(`A ${WWW} from the Ingress`, () => answer(WWW), (a) => a === INGRESS_IP, 120_000);
    expect(await owner(WWW)).to.contain(`external-dns/resource=ingressdnsrecord/${NS}/shop`);
    sampling = true;
    sampler = (async () => {
      while (sampling) samples.push(await answer(WWW).catch((e: Error) => `query failed: ${e.message}`));
    })();
  });

  it('keeps the name with the Ingress record while the route record waits, and says so on the route record', async () => {
    await bed.apply('host', `
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: RouteDNSRecord
metadata: {name: shop, namespace: ${NS}}
spec:
  routeRef: {kind: HTTPRoute}
  hosts: [${WWW}]
  recordTTL: 5
`);
    const r = await eventually('route record NameConflict', () => record('routednsrecords', 'shop'), (x) => ready(x)?.reason === 'NameConflict', 60_000);
    expect(ready(r)?.message).to.contain(`${WWW} is held by IngressDNSRecord ${NS}/shop`);
    expect(await answer(WWW)).to.equal(INGRESS_IP);
  });

  it('hands the name over when the Ingress record lets go: one PowerDNS write, the TXT owner changed with the address, no query unanswered', async () => {
    proxy.reset();
    const t0 = Date.now();
    await bed.apply('host', ingressRecord([LEGACY]));
    await eventually('the route record owns the name', () => owner(WWW), (o) => o.includes(`external-dns/resource=routednsrecord/${NS}/shop`), 60_000, 50);
    const handedOver = Date.now() - t0;
    expect(await answer(WWW)).to.equal(GATEWAY_IP);
    const writes = proxy.requests().filter((q) => q.write);
    // Wait a few batch windows and a sample or two more before judging.
    await new Promise((r) => setTimeout(r, 2_000));
    sampling = false;
    await sampler;
    const missed = samples.filter((s) => s !== INGRESS_IP && s !== GATEWAY_IP);
    console.log(`      hand-over after ${handedOver} ms; ${samples.length} samples of ${WWW}, ${missed.length} missed; PowerDNS writes: ${writes.map((w) => w.route).join(', ')}`);
    expect(missed, 'samples without the name\'s address').to.deep.equal([]);
    expect(samples).to.include(INGRESS_IP).and.to.include(GATEWAY_IP);
    expect(samples.slice(samples.indexOf(GATEWAY_IP)), 'never back to the Ingress address once moved').to.not.include(INGRESS_IP);
    expect(writes.map((w) => w.method), 'PowerDNS writes for the hand-over').to.deep.equal(['PATCH']);
    expect(await answer(LEGACY), 'the Ingress record keeps its other name').to.equal(INGRESS_IP);
  });

  it('leaves both records Ready, the route record publishing the name', async () => {
    const route = await eventually('route record Published', () => record('routednsrecords', 'shop'), (x) => ready(x)?.reason === 'Published', 60_000);
    expect(ready(route)?.message).to.contain('published 1 name, 1 target from cluster member1');
    const ingress = await record('ingressdnsrecords', 'shop');
    expect(ready(ingress)).to.include({ status: 'True', reason: 'Published' });
    expect(ingress.status?.targets).to.deep.equal([INGRESS_IP]);
  });
});

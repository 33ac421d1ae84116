// `mcdns run --provider powerdns` end to end: the controller writes PowerDNS itself (no
// ExternalDNS), with TXT ownership; it never touches a name another owner holds, a second
// record cannot take a host the first owns, an unhealthy address leaves the answer, and
// deleting a record removes its DNS records before the finalizer is released.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { IngressDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { startLoadBalancers, type FakeLoadBalancer } from '../env/fake-lb.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, putIngress } from '../env/workloads.js';

const NS = 'fed-namespace';
const OTHER_NS = 'team-b';
const OWNER = 'mcdns-e2e';

describe('end to end: direct PowerDNS provider driven by the controller', function () {
  this.timeout(300_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  let lbs: FakeLoadBalancer[];
  const sorted = (a: string[]) => [...a].sort().join(',');
  const answer = (name: string) => bed.powerdns!.query(name, 'A').then(sorted);
  const custom = () => bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
  const record = async (ns: string, name: string) =>
    (await custom().getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: ns, plural: 'ingressdnsrecords', name,
    })) as IngressDNSRecord;
  const ready = (r: IngressDNSRecord) => r.status?.conditions?.find((c) => c.type === 'Ready');
  const recordYaml = (ns: string, name: string, host: string, extra = '') => `
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: IngressDNSRecord
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${host}]
  recordTTL: 30
${extra}`;

  before(async () => {
    lbs = await startLoadBalancers(['127.0.0.11', '127.0.0.12'], 'tcp');
    bed = await startBed({ members: ['member1', 'member2'], externalDns: false });
    await bed.kubectl('host', ['apply', '-f', 'manifests/crds/']);
    for (const c of bed.clusters) for (const ns of [NS, OTHER_NS]) await ensureNamespace(bed.kubeConfig(c), ns);
    for (const [member, ip] of [['member1', '127.0.0.11'], ['member2', '127.0.0.12']] as const) {
      await putIngress(bed.kubeConfig(member), NS, 'helloworld-ingress', ['helloworld.example.org', 'taken.example.org', 'probed.example.org'], [ip]);
      await putIngress(bed.kubeConfig(member), OTHER_NS, 'helloworld-ingress', ['helloworld.example.org'], ['127.0.0.13']);
    }
    // A name another ExternalDNS owns, written the way it writes it.
    await bed.powerdns!.api('PATCH', '/servers/localhost/zones/example.org.', {
      rrsets: [
        { name: 'taken.example.org.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: '192.0.2.99', disabled: false }] },
        {
          name: 'a-taken.example.org.', type: 'TXT', ttl: 60, changetype: 'REPLACE',
          records: [{ content: '"heritage=external-dns,external-dns/owner=team-x,external-dns/resource=ingress/default/taken"', disabled: false }],
        },
      ],
    });
    mcdns = startMcdns(
      [
        ...bedFlags(bed),
        '--heartbeat-interval=1s',
        '--provider=powerdns',
        `--pdns-server=${bed.powerdns!.apiUrl}`,
        `--txt-owner-id=${OWNER}`,
        '--no-dnsendpoints',
      ],
      { MCDNS_PDNS_API_KEY: bed.powerdns!.apiKey },
    );
  });

  tearDownSuite(() => ({ mcdns, bed, lbs }));

  it('publishes the seed record straight into PowerDNS with an ExternalDNS-format ownership TXT', async () => {
    await bed.apply('host', readFileSync('manifests/samples/ingressdnsrecord.yaml', 'utf8'));
    await eventually('A helloworld', () => answer('helloworld.example.org'), (a) => a === '127.0.0.11,127.0.0.12');
    const txt = await bed.powerdns!.query('a-helloworld.example.org', 'TXT');
    expect(txt.join('')).to.contain(`external-dns/owner=${OWNER}`).and.contain('external-dns/resource=ingressdnsrecord/fed-namespace/fed-helloworld-ingress');
    const r = await record(NS, 'fed-helloworld-ingress');
    expect(r.metadata.finalizers).to.include('multiclusterdns.kubefed.io/cleanup');
    const eps = await custom().listNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: NS, plural: 'dnsendpoints' });
    expect((eps as { items: unknown[] }).items, '--no-dnsendpoints').to.have.length(0);
  });

  it('never modifies a name owned by another owner id, and says who owns it', async () => {
    await bed.apply('host', recordYaml(NS, 'helloworld-ingress', 'taken.example.org'));
    const r = await eventually('OwnershipConflict', () => record(NS, 'helloworld-ingress'), (x) => ready(x)?.reason === 'OwnershipConflict');
    expect(ready(r)?.message).to.contain('team-x');
    expect(await answer('taken.example.org')).to.equal('192.0.2.99');
    expect((await bed.powerdns!.query('a-taken.example.org', 'TXT')).join('')).to.contain('owner=team-x');
  });

  it('lets the first record keep a host; a record in another namespace gets NameConflict naming the holder', async () => {
    // Claims are resolved across records before the provider is asked (one owner per name).
    await bed.apply('host', recordYaml(OTHER_NS, 'helloworld-ingress', 'helloworld.example.org'));
    const r = await eventually('conflict in team-b', () => record(OTHER_NS, 'helloworld-ingress'), (x) => ready(x)?.reason === 'NameConflict');
    expect(ready(r)?.message).to.contain('helloworld.example.org is held by IngressDNSRecord fed-namespace/fed-helloworld-ingress');
    expect(await answer('helloworld.example.org')).to.equal('127.0.0.11,127.0.0.12');
  });

  it('takes an address that fails its TCP health check out of the PowerDNS answer and back', async () => {
    const check = `  healthCheck: {protocol: tcp, port: ${lbs[0]!.port}, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2, successThreshold: 1}\n`;
    // Gone before it is applied again: an apply onto the terminating object would be deleted with it.
    await bed.kubectl('host', ['delete', 'ingressdnsrecord', 'helloworld-ingress', '-n', NS, '--wait=true', '--timeout=60s']);
    await bed.apply('host', recordYaml(NS, 'probed', 'probed.example.org', check).replace('name: probed', 'name: helloworld-ingress'));
    await eventually('both probed', () => answer('probed.example.org'), (a) => a === '127.0.0.11,127.0.0.12');
    await lbs[1]!.down();
    await eventually('127.0.0.12 gone', () => answer('probed.example.org'), (a) => a === '127.0.0.11');
    await lbs[1]!.up();
    await eventually('127.0.0.12 back', () => answer('probed.example.org'), (a) => a === '127.0.0.11,127.0.0.12');
  });

  it('removes the DNS records of a deleted record before releasing its finalizer, and hands the name to the next claimant', async () => {
    await bed.kubectl('host', ['delete', 'ingressdnsrecord', 'fed-helloworld-ingress', '-n', NS, '--wait=true', '--timeout=60s']);
    expect((await bed.powerdns!.query('a-helloworld.example.org', 'TXT')).join('')).to.not.contain('fed-namespace/fed-helloworld-ingress');
    // team-b's record claimed the name too: it takes it over at once (one owner per name).
    await eventually('helloworld owned by team-b', () => bed.powerdns!.query('a-helloworld.example.org', 'TXT'), (t) => t.join('').includes('ingressdnsrecord/team-b/helloworld-ingress'));
    expect(await answer('helloworld.example.org')).to.equal('127.0.0.13');
  });
});

// Who may publish a name, on the real sandbox: real API servers, the built controller, real
// ExternalDNS v0.22 (--source=crd) writing into real PowerDNS.
//
//   hijack: team-b's record claims team-a's name. Only team-a's address is ever answered
//   (sampled all along, including while team-a's Ingress has no address), team-b is told
//   (NameConflict naming the holder) and its own name still publishes; when team-a's record
//   goes, team-b takes the name over at once (the time is printed; its bound is a bench matter).
//   policy: once a DNSNamePolicy exists, a namespace it does not grant publishes nothing, and a
//   record with a wildcard the policy does not grant publishes its good name.
import { expect } from 'chai';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { DNSEndpoint, IngressDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress, setIngressAddresses } from '../env/workloads.js';

const WWW = 'www.hj.example.org';
const VICTIM_IP = '127.0.0.21';
const ATTACKER_IP = '127.0.0.66';

describe('end to end: one owner per name and authorised names (ExternalDNS v0.22 + PowerDNS)', function () {
  this.timeout(600_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  const custom = () => bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
  const record = async (namespace: string, name: string) =>
    (await custom().getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace, plural: 'ingressdnsrecords', name,
    })) as IngressDNSRecord;
  const dnsEndpoint = async (namespace: string, name: string) =>
    (await custom().getNamespacedCustomObject({
      group: 'externaldns.k8s.io', version: 'v1alpha1', namespace, plural: 'dnsendpoints', name: `ingress-${name}`,
    })) as DNSEndpoint;
  const ready = (r: IngressDNSRecord) => r.status?.conditions?.find((c) => c.type === 'Ready');
  const answer = async (name: string) => (await bed.powerdns!.query(name, 'A')).sort().join(',');
  const recordYaml = (namespace: string, name: string, hosts: string[]) => `
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: IngressDNSRecord
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  hosts: [${hosts.map((h) => `'${h}'`).join(', ')}]
  recordTTL: 5
`;

  // Every answer PowerDNS gave for WWW while the victim held it.
  const seen = new Set<string>();
  let sampling = true;
  let sampler: Promise<void> | undefined;

  before(async () => {
    bed = await startBed({ members: ['member1'] });
    for (const ns of ['team-a', 'team-b', 'team-c']) for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), ns);
    await installMcdnsCrds((m) => bed.apply('host', m));
    const member = bed.kubeConfig('member1');
    await putIngress(member, 'team-a', 'victim', [WWW], [VICTIM_IP]);
    await putIngress(member, 'team-b', 'attacker', [WWW, 'own.hj.example.org'], [ATTACKER_IP]);
    await putIngress(member, 'team-c', 'outsider', ['outsider.example.org'], ['127.0.0.77']);
    await putIngress(member, 'team-a', 'mixed', ['*.wild.example.org', 'good.example.org'], ['127.0.0.22']);
    mcdns = startMcdns([...bedFlags(bed), '--heartbeat-interval=1s']);
  });

  tearDownSuite(() => ({ mcdns, bed }));

  after(async () => {
    sampling = false;
    await sampler;
  });

  it('publishes the victim\'s name', async () => {
    await bed.apply('host', recordYaml('team-a', 'victim', [WWW]));
    await eventually(`A ${WWW}`, () => answer(WWW), (a) => a === VICTIM_IP, 120_000);
    sampler = (async () => {
      while (sampling) {
        seen.add(await answer(WWW).catch(() => 'query failed'));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  });

  it('keeps the attacker out of the contested name, tells it who holds the name, and publishes its own name', async () => {
    // A later creationTimestamp (second resolution): the victim's claim is the older one.
    await new Promise((r) => setTimeout(r, 1100));
    await bed.apply('host', recordYaml('team-b', 'attacker', [WWW, 'own.hj.example.org']));
    await eventually('A own.hj.example.org', () => answer('own.hj.example.org'), (a) => a === ATTACKER_IP, 60_000);
    const r = await eventually('attacker NameConflict', () => record('team-b', 'attacker'), (x) => ready(x)?.reason === 'NameConflict');
    expect(ready(r)?.status).to.equal('False');
    expect(ready(r)?.message).to.contain(`${WWW} is held by IngressDNSRecord team-a/victim`);
    expect(r.status?.targets).to.deep.equal([ATTACKER_IP]);
    expect((await dnsEndpoint('team-b', 'attacker')).spec.endpoints?.map((e) => e.dnsName)).to.deep.equal(['own.hj.example.org']);
    const v = await eventually('victim hears of the claim', () => record('team-a', 'victim'), (x) => (ready(x)?.message ?? '').includes('also claimed by'));
    expect(ready(v)).to.include({ status: 'True', reason: 'Published' });
    expect(ready(v)?.message).to.contain(`${WWW} is also claimed by IngressDNSRecord team-b/attacker`);
  });

  it('keeps the name with the victim while its Ingress has no address', async () => {
    await setIngressAddresses(bed.kubeConfig('member1'), 'team-a', 'victim', []);
    await eventually('victim publishes nothing', () => dnsEndpoint('team-a', 'victim'), (e) => (e.spec.endpoints ?? []).length === 0);
    // Long enough for ExternalDNS to have synced several times (interval 10 s, events 1 s).
    await new Promise((r) => setTimeout(r, 15_000));
    expect((await dnsEndpoint('team-b', 'attacker')).spec.endpoints?.map((e) => e.dnsName)).to.deep.equal(['own.hj.example.org']);
    await setIngressAddresses(bed.kubeConfig('member1'), 'team-a', 'victim', [VICTIM_IP]);
    await eventually(`A ${WWW} back`, () => answer(WWW), (a) => a === VICTIM_IP, 60_000);
    sampling = false;
    await sampler;
    expect([...seen].filter((a) => a.includes(ATTACKER_IP)), 'answers naming the attacker while the victim held the name').to.deep.equal([]);
  });

  it('hands the name over to the next claimant as soon as the holder lets go', async () => {
    const t0 = Date.now();
    await custom().deleteNamespacedCustomObject({ group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: 'team-a', plural: 'ingressdnsrecords', name: 'victim' });
    await eventually('attacker DNSEndpoint has the name', () => dnsEndpoint('team-b', 'attacker'), (e) => (e.spec.endpoints ?? []).some((x) => x.dnsName === WWW), 30_000, 50);
    const handedOver = Date.now() - t0;
    await eventually(`A ${WWW} is the new holder's`, () => answer(WWW), (a) => a === ATTACKER_IP, 60_000, 100);
    const answered = Date.now() - t0;
    console.log(`      hand-over: DNSEndpoint after ${handedOver} ms, PowerDNS answer (through ExternalDNS) after ${answered} ms`);
    const r = await eventually('attacker Published', () => record('team-b', 'attacker'), (x) => ready(x)?.reason === 'Published');
    expect(ready(r)?.status).to.equal('True');
  });

  it('once a DNSNamePolicy exists, publishes nothing for a namespace it does not grant, and says why', async () => {
    await bed.apply('host', recordYaml('team-c', 'outsider', ['outsider.example.org']));
    await eventually('A outsider.example.org (no policy yet: open)', () => answer('outsider.example.org'), (a) => a === '127.0.0.77', 60_000);
    await bed.apply('host', `
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: DNSNamePolicy
metadata: {name: teams-a-and-b}
spec:
  namespaceSelector:
    matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [team-a, team-b]}]
  allowedNames:
  - suffix: example.org
`);
    const r = await eventually('outsider NameNotAllowed', () => record('team-c', 'outsider'), (x) => ready(x)?.reason === 'NameNotAllowed');
    expect(ready(r)?.message).to.contain('outsider.example.org is not allowed in namespace team-c: no DNSNamePolicy grants this namespace any name');
    await eventually('outsider.example.org gone from DNS', () => answer('outsider.example.org'), (a) => a === '', 60_000);
    expect(await answer(WWW)).to.equal(ATTACKER_IP);
  });

  it('publishes the good name of a record whose wildcard the policy does not grant', async () => {
    await bed.apply('host', recordYaml('team-a', 'mixed', ['*.wild.example.org', 'good.example.org']));
    await eventually('A good.example.org', () => answer('good.example.org'), (a) => a === '127.0.0.22', 60_000);
    const r = await eventually('mixed NameNotAllowed', () => record('team-a', 'mixed'), (x) => ready(x)?.reason === 'NameNotAllowed');
    expect(ready(r)?.message).to.contain('*.wild.example.org: a wildcard name needs a DNSNamePolicy granting wildcards below example.org to namespace team-a');
    expect((await dnsEndpoint('team-a', 'mixed')).spec.endpoints?.map((e) => e.dnsName)).to.deep.equal(['good.example.org']);
    expect(await answer('x.wild.example.org')).to.equal('');
  });
});

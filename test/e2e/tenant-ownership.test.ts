// Ownership that holds against tenants, on the real sandbox: host and member kube-apiservers,
// the built `mcdns run` writing PowerDNS itself (and DNSEndpoints), everything checked through
// the API and dig only. The victim's name is sampled every 150 ms all along each scenario: the
// attacker's address is never answered for it, not even once.
//
//   age: team-b's record from before adds team-a's live name to its hosts: NameConflict, before
//   and after a controller restart; re-creating the record changes nothing.
//   TXT: a CNAME published first at a-shop (the ownership TXT name of shop) does not keep team-a
//   from shop: the TXT name belongs to shop; a host naming a held name's TXT name is NameConflict.
//   invalid: a ServiceDNSRecord whose Domain is gone, once the admin's DNSNamePolicy no longer
//   allows its dnsPrefix name, withdraws that name from PowerDNS and its DNSEndpoint; team-a's
//   record, the next claimant, gets it; the record's other name stays. healthCheck.host outside
//   the hosts is refused by the API server up front.
import { expect } from 'chai';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { DNSEndpoint, IngressDNSRecord, ServiceDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { AnswerSampler } from '../env/sampler.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress, putLoadBalancerService } from '../env/workloads.js';

const VICTIM_IP = '127.0.0.21';
const ATTACKER_IP = '127.0.0.66';
const GROUP = 'multiclusterdns.kubefed.io';

describe('end to end: ownership that holds against tenants (PowerDNS, DNSEndpoints)', function () {
  this.timeout(900_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  let flags: string[];
  const samplers: AnswerSampler[] = [];
  const custom = () => bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
  const get = async <T>(plural: string, namespace: string, name: string, group = GROUP) =>
    (await custom().getNamespacedCustomObject({ group, version: 'v1alpha1', namespace, plural, name })) as T;
  const ingressRecord = (ns: string, name: string) => get<IngressDNSRecord>('ingressdnsrecords', ns, name);
  const ready = (r: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }) =>
    r.status?.conditions?.find((c) => c.type === 'Ready');
  const dnsEndpointNames = async (ns: string, name: string) =>
    ((await get<DNSEndpoint>('dnsendpoints', ns, name, 'externaldns.k8s.io')).spec.endpoints ?? []).map((e) => e.dnsName).sort();
  const answer = async (name: string, type = 'A') => (await bed.powerdns!.query(name, type)).sort().join(',');
  const recordYaml = (ns: string, name: string, hosts: string[], extra = '') => `
apiVersion: ${GROUP}/v1alpha1
kind: IngressDNSRecord
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${hosts.map((h) => `'${h}'`).join(', ')}]
  recordTTL: 5
${extra}`;
  const sample = (name: string) => {
    const s = new AnswerSampler(() => answer(name));
    samplers.push(s);
    return s;
  };

  before(async () => {
    bed = await startBed({ members: ['member1'], externalDns: false });
    for (const ns of ['team-a', 'team-b', 'team-c']) for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), ns);
    await installMcdnsCrds((m) => bed.apply('host', m));
    const member = bed.kubeConfig('member1');
    await putIngress(member, 'team-a', 'shop', ['shop.c1.example.org'], [VICTIM_IP]);
    await putIngress(member, 'team-b', 'old', ['dummy.c1.example.org', 'shop.c1.example.org'], [ATTACKER_IP]);
    await putIngress(member, 'team-b', 'again', ['shop.c1.example.org'], [ATTACKER_IP]);
    await putIngress(member, 'team-c', 'squat', ['a-shop.c4.example.org'], ['lb.squat.example.net']);
    await putIngress(member, 'team-a', 'shop4', ['shop.c4.example.org'], [VICTIM_IP]);
    await putIngress(member, 'team-a', 'shop5', ['shop.c5.example.org'], [VICTIM_IP]);
    await putIngress(member, 'team-c', 'squat5', ['a-shop.c5.example.org'], [ATTACKER_IP]);
    await putIngress(member, 'team-a', 'www2', ['www2.example.org'], [VICTIM_IP]);
    await putLoadBalancerService(member, 'team-b', 'api', [ATTACKER_IP]);
    flags = [...bedFlags(bed), '--heartbeat-interval=1s', '--provider=powerdns', `--pdns-server=${bed.powerdns!.apiUrl}`];
    mcdns = startMcdns(flags, { MCDNS_PDNS_API_KEY: bed.powerdns!.apiKey });
  });

  tearDownSuite(() => ({ mcdns, bed }));
  after(async () => {
    await Promise.all(samplers.map((s) => s.stop()));
  });

  describe('a claim dates from when the record claimed the name', () => {
    let shop: AnswerSampler;

    it('publishes team-a\'s name; team-b\'s record is older but does not claim it yet', async () => {
      await bed.apply('host', recordYaml('team-b', 'old', ['dummy.c1.example.org']));
      await eventually('A dummy.c1', () => answer('dummy.c1.example.org'), (a) => a === ATTACKER_IP, 120_000);
      // team-b's record is the older one (creationTimestamp has second resolution).
      await new Promise((r) => setTimeout(r, 1100));
      await bed.apply('host', recordYaml('team-a', 'shop', ['shop.c1.example.org']));
      await eventually('A shop.c1', () => answer('shop.c1.example.org'), (a) => a === VICTIM_IP, 60_000);
      shop = sample('shop.c1.example.org');
      const a = await eventually('team-a status.claims', () => ingressRecord('team-a', 'shop'), (r) => (r.status as { claims?: unknown[] } | undefined)?.claims?.length === 1);
      expect((a.status as { claims?: { name: string }[] }).claims?.map((c) => c.name)).to.deep.equal(['shop.c1.example.org']);
    });

    it('keeps the name with team-a when team-b\'s older record adds it to its hosts', async () => {
      await bed.apply('host', recordYaml('team-b', 'old', ['dummy.c1.example.org', 'shop.c1.example.org']));
      const b = await eventually('team-b NameConflict', () => ingressRecord('team-b', 'old'), (r) => ready(r)?.reason === 'NameConflict');
      expect(ready(b)?.message).to.contain('shop.c1.example.org is held by IngressDNSRecord team-a/shop');
      expect(await dnsEndpointNames('team-b', 'ingress-old')).to.deep.equal(['dummy.c1.example.org']);
      // Several seconds more: the provider keeps team-a's address and ownership TXT.
      await new Promise((r) => setTimeout(r, 5_000));
      expect(await answer('shop.c1.example.org')).to.equal(VICTIM_IP);
      expect((await bed.powerdns!.query('a-shop.c1.example.org', 'TXT')).join('')).to.contain('ingressdnsrecord/team-a/shop');
    });

    it('decides the same after a controller restart, the attacker\'s record reconciled among the first', async () => {
      await mcdns.stop();
      mcdns = startMcdns(flags, { MCDNS_PDNS_API_KEY: bed.powerdns!.apiKey });
      await eventually('the new controller reconciles', async () => mcdns.logs(), (l) => l.includes('"message":"reconciling"'), 120_000);
      await new Promise((r) => setTimeout(r, 8_000));
      expect(ready(await ingressRecord('team-b', 'old'))?.reason).to.equal('NameConflict');
      expect(await answer('shop.c1.example.org')).to.equal(VICTIM_IP);
    });

    it('gives a re-created record no better claim', async () => {
      await custom().deleteNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: 'team-b', plural: 'ingressdnsrecords', name: 'old' });
      await bed.apply('host', recordYaml('team-b', 'again', ['shop.c1.example.org']));
      await eventually('re-created record NameConflict', () => ingressRecord('team-b', 'again'), (r) => ready(r)?.reason === 'NameConflict');
      await new Promise((r) => setTimeout(r, 3_000));
      const samples = await shop.stop();
      console.log(`      shop.c1.example.org: ${samples.length} samples, ${shop.containing(ATTACKER_IP).length} naming the attacker`);
      expect(samples.length).to.be.at.least(50);
      expect(shop.containing(ATTACKER_IP), 'answers naming the attacker for team-a\'s name').to.deep.equal([]);
    });
  });

  describe('a name claims its ownership TXT names', () => {
    it('gives team-a its name although another team published a CNAME at its TXT name first', async () => {
      await bed.apply('host', recordYaml('team-c', 'squat', ['a-shop.c4.example.org']));
      await eventually('CNAME a-shop.c4', () => answer('a-shop.c4.example.org', 'CNAME'), (a) => a === 'lb.squat.example.net.', 60_000);
      const shop4 = sample('shop.c4.example.org');
      await bed.apply('host', recordYaml('team-a', 'shop4', ['shop.c4.example.org']));
      await eventually('A shop.c4', () => answer('shop.c4.example.org'), (a) => a === VICTIM_IP, 60_000);
      expect((await bed.powerdns!.query('a-shop.c4.example.org', 'TXT')).join('')).to.contain('ingressdnsrecord/team-a/shop4');
      expect(await answer('a-shop.c4.example.org', 'CNAME')).to.equal('');
      const squat = await eventually('squat NameConflict', () => ingressRecord('team-c', 'squat'), (r) => ready(r)?.reason === 'NameConflict');
      expect(ready(squat)?.message).to.contain('a-shop.c4.example.org is the ownership TXT name of shop.c4.example.org, claimed by IngressDNSRecord team-a/shop4');
      expect(ready(await ingressRecord('team-a', 'shop4'))?.reason).to.equal('Published');
      await shop4.stop();
      expect(shop4.containing('squat').concat(shop4.containing(ATTACKER_IP))).to.deep.equal([]);
    });

    it('keeps a host naming a held name\'s TXT name out: NameConflict, nothing answered for it', async () => {
      await bed.apply('host', recordYaml('team-a', 'shop5', ['shop.c5.example.org']));
      await eventually('A shop.c5', () => answer('shop.c5.example.org'), (a) => a === VICTIM_IP, 60_000);
      const txtName = sample('a-shop.c5.example.org');
      await bed.apply('host', recordYaml('team-c', 'squat5', ['a-shop.c5.example.org']));
      await eventually('squat5 NameConflict', () => ingressRecord('team-c', 'squat5'), (r) => ready(r)?.reason === 'NameConflict');
      await new Promise((r) => setTimeout(r, 3_000));
      await txtName.stop();
      expect(txtName.containing(ATTACKER_IP)).to.deep.equal([]);
      expect(await dnsEndpointNames('team-c', 'ingress-squat5')).to.deep.equal([]);
    });
  });

  describe('a record that cannot be reconciled lets go of what it may no longer hold', () => {
    const GLOBAL = 'api.team-b.galactic.svc.example.org';

    it('refuses a healthCheck.host outside the record\'s hosts up front (API server, CEL)', async () => {
      const err = await bed.apply('host', recordYaml('team-b', 'probe', ['shop.c1.example.org'], '  healthCheck: {host: nothing.example.net}')).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.contain('healthCheck.host must be one of spec.hosts');
    });

    it('withdraws a name the policy no longer allows from PowerDNS and the DNSEndpoint, and the next claimant gets it', async () => {
      await bed.apply('host', `
apiVersion: ${GROUP}/v1alpha1
kind: Domain
metadata: {name: galactic, namespace: team-b}
domain: example.org
---
apiVersion: ${GROUP}/v1alpha1
kind: ServiceDNSRecord
metadata: {name: api, namespace: team-b}
spec: {domainRef: galactic, dnsPrefix: www2, recordTTL: 5}
`);
      await eventually('www2 → the global name', () => answer('www2.example.org'), (a) => a.includes(ATTACKER_IP), 60_000);
      // The Domain goes: the record cannot be reconciled; what it publishes stays.
      await custom().deleteNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: 'team-b', plural: 'domains', name: 'galactic' });
      await eventually('InvalidSpec', () => get<ServiceDNSRecord>('servicednsrecords', 'team-b', 'api'), (r) => ready(r)?.reason === 'InvalidSpec', 60_000);
      expect(await answer('www2.example.org')).to.contain(ATTACKER_IP);
      // The admin grants team-b only its Service names, then example.org to team-a and team-c.
      await bed.apply('host', `
apiVersion: ${GROUP}/v1alpha1
kind: DNSNamePolicy
metadata: {name: team-b-services}
spec:
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: team-b}}
  allowedNames: [{suffix: galactic.svc.example.org}]
`);
      await bed.apply('host', `
apiVersion: ${GROUP}/v1alpha1
kind: DNSNamePolicy
metadata: {name: teams}
spec:
  namespaceSelector:
    matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [team-a, team-c]}]
  allowedNames: [{suffix: example.org}]
`);
      const since = Date.now();
      const www2 = sample('www2.example.org');
      await bed.apply('host', recordYaml('team-a', 'www2', ['www2.example.org']));
      await eventually('A www2 is team-a\'s', () => answer('www2.example.org'), (a) => a === VICTIM_IP, 90_000);
      const r = await eventually('team-b still invalid', () => get<ServiceDNSRecord>('servicednsrecords', 'team-b', 'api'), (x) => ready(x)?.reason === 'InvalidSpec');
      expect(ready(r)?.message).to.contain('Domain "galactic" not found');
      const events = await bed.kubectl('host', ['get', 'events', '-n', 'team-b', '--field-selector', 'involvedObject.name=api,reason=NamesReleased', '-o', 'jsonpath={.items[*].message}']);
      expect(events).to.contain('not published any more: www2.example.org is not allowed in namespace team-b');
      expect(await dnsEndpointNames('team-b', 'service-api')).to.deep.equal([GLOBAL]);
      expect(await answer(GLOBAL), 'the name it still holds stays').to.equal(ATTACKER_IP);
      expect(ready(await ingressRecord('team-a', 'www2'))?.reason).to.equal('Published');
      // Past the first answer of team-a's address, never team-b's again (a drift repair included).
      await new Promise((res) => setTimeout(res, 5_000));
      await www2.stop();
      const handedOver = www2.first(VICTIM_IP, since);
      expect(handedOver, 'team-a\'s address answered').to.not.equal(undefined);
      expect(www2.containing(ATTACKER_IP, handedOver?.at)).to.deep.equal([]);
      console.log(`      www2.example.org: team-a answered ${((handedOver?.at ?? since) - since) / 1000} s after its record was applied; ${www2.samples.length} samples`);
    });
  });
});

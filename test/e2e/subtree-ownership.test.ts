// CoreDNS-etcd answers a name with every record below it: on the real sandbox (host and member
// kube-apiservers, etcd, CoreDNS, the built `mcdns run --provider coredns-etcd`, dig), a name is
// not written below another owner's name, nor above another owner's names, whether the other
// owner is a record's claim (mcdns's claims: NameConflict) or only the zone's content (the
// planner: OwnershipConflict). The victim's name is sampled every 150 ms: the attacker's address
// never joins the victim's answer. `mcdns audit` shows both sides of such a pair.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { IngressDNSRecord } from '../../src/api/schema.js';
import { formatOwnership } from '../../src/plan/ownership.js';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, MCDNS_CLI, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { AnswerSampler } from '../env/sampler.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress } from '../env/workloads.js';

const VICTIM_IP = '127.0.0.21';
const ATTACKER_IP = '127.0.0.66';
const GROUP = 'multiclusterdns.kubefed.io';

describe('end to end: a provider answering subtrees checks both directions (etcd + CoreDNS)', function () {
  this.timeout(600_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  const samplers: AnswerSampler[] = [];
  const custom = () => bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
  const record = async (ns: string, name: string) =>
    (await custom().getNamespacedCustomObject({ group: GROUP, version: 'v1alpha1', namespace: ns, plural: 'ingressdnsrecords', name })) as IngressDNSRecord;
  const ready = (r: IngressDNSRecord) => r.status?.conditions?.find((c) => c.type === 'Ready');
  const answer = async (name: string) => (await bed.coredns!.query(name, 'A')).sort().join(',');
  const recordYaml = (ns: string, name: string, host: string) => `
apiVersion: ${GROUP}/v1alpha1
kind: IngressDNSRecord
metadata: {name: ${name}, namespace: ${ns}}
spec: {hosts: ['${host}'], recordTTL: 5}
`;
  const sample = (name: string) => {
    const s = new AnswerSampler(() => answer(name));
    samplers.push(s);
    return s;
  };
  const put = (key: string, value: object) => bed.etcd.put(key, JSON.stringify({ ...value, ttl: 60, targetstrip: 1 }));
  const providerFlags = () => ['--provider=coredns-etcd', `--etcd-endpoints=${bed.etcd.clientUrl}`, '--coredns-zones=example.org'];

  before(async () => {
    bed = await startBed({ members: ['member1'], powerdns: false, coredns: true });
    for (const ns of ['team-a', 'team-b']) for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), ns);
    await installMcdnsCrds((m) => bed.apply('host', m));
    const member = bed.kubeConfig('member1');
    await putIngress(member, 'team-b', 'evil', ['evil.shop3.example.org'], [ATTACKER_IP]);
    await putIngress(member, 'team-a', 'shop3', ['shop3.example.org'], [VICTIM_IP]);
    await putIngress(member, 'team-a', 'shop6', ['shop6.example.org'], [VICTIM_IP]);
    await putIngress(member, 'team-b', 'evil6', ['evil.shop6.example.org'], [ATTACKER_IP]);
    await putIngress(member, 'team-a', 'shop7', ['shop7.example.org'], []);
    await putIngress(member, 'team-b', 'evil7', ['evil.shop7.example.org'], [ATTACKER_IP]);
    await putIngress(member, 'team-a', 'shop8', ['shop8.example.org'], [VICTIM_IP]);
    // Another owner's records in the zone, there before mcdns reads it.
    await put('/skydns/org/example/shop8/evil/2a2b3c4d', { host: ATTACKER_IP });
    await put('/skydns/org/example/shop8/a-evil/2a2b3c4e', { text: formatOwnership({ owner: 'other-dns', resource: 'crd/x/evil' }) });
    mcdns = startMcdns([...bedFlags(bed), '--heartbeat-interval=1s', ...providerFlags()]);
  });

  tearDownSuite(() => ({ mcdns, bed }));
  after(async () => {
    await Promise.all(samplers.map((s) => s.stop()));
  });

  it('does not write a name above another owner\'s name: the attacker\'s address never joins the victim\'s', async () => {
    await bed.apply('host', recordYaml('team-b', 'evil', 'evil.shop3.example.org'));
    await eventually('A evil.shop3', () => answer('evil.shop3.example.org'), (a) => a === ATTACKER_IP, 120_000);
    const shop3 = sample('shop3.example.org');
    await bed.apply('host', recordYaml('team-a', 'shop3', 'shop3.example.org'));
    const r = await eventually('team-a refused', () => record('team-a', 'shop3'), (x) => ready(x)?.status === 'False', 60_000);
    expect(ready(r)?.reason).to.equal('NameConflict');
    expect(ready(r)?.message).to.contain('shop3.example.org is above evil.shop3.example.org, held by IngressDNSRecord team-b/evil');
    // Nothing of team-a's in etcd: no address, no ownership TXT.
    const zone = await bed.etcd.getPrefix('/skydns/org/example/');
    expect(zone.filter((kv) => kv.value.includes(VICTIM_IP) || kv.value.includes('team-a/shop3')).map((kv) => kv.key)).to.deep.equal([]);
    await new Promise((res) => setTimeout(res, 5_000));
    await shop3.stop();
    console.log(`      shop3.example.org: ${shop3.samples.length} samples, answers seen: ${[...new Set(shop3.samples.map((s) => s.answer))].join(' | ')}`);
    expect(shop3.containing(VICTIM_IP), 'answers where team-a\'s address would meet the attacker\'s').to.deep.equal([]);
    expect(shop3.samples.length).to.be.at.least(20);
  });

  it('keeps a name below out while the name above is claimed, even before it has an address', async () => {
    await bed.apply('host', recordYaml('team-a', 'shop7', 'shop7.example.org'));
    await eventually('team-a claims shop7', () => record('team-a', 'shop7'), (x) => ((x.status as { claims?: unknown[] } | undefined)?.claims?.length ?? 0) > 0, 60_000);
    const shop7 = sample('shop7.example.org');
    await bed.apply('host', recordYaml('team-b', 'evil7', 'evil.shop7.example.org'));
    const r = await eventually('team-b NameConflict', () => record('team-b', 'evil7'), (x) => ready(x)?.reason === 'NameConflict', 60_000);
    expect(ready(r)?.message).to.contain('evil.shop7.example.org is below shop7.example.org, held by IngressDNSRecord team-a/shop7');
    await new Promise((res) => setTimeout(res, 5_000));
    await shop7.stop();
    expect(shop7.containing(ATTACKER_IP), 'answers naming the attacker for team-a\'s name').to.deep.equal([]);
  });

  it('does not write a name below another owner\'s name either', async () => {
    await bed.apply('host', recordYaml('team-a', 'shop6', 'shop6.example.org'));
    await eventually('A shop6', () => answer('shop6.example.org'), (a) => a === VICTIM_IP, 60_000);
    const shop6 = sample('shop6.example.org');
    await bed.apply('host', recordYaml('team-b', 'evil6', 'evil.shop6.example.org'));
    const r = await eventually('team-b NameConflict', () => record('team-b', 'evil6'), (x) => ready(x)?.reason === 'NameConflict', 60_000);
    expect(ready(r)?.message).to.contain('evil.shop6.example.org is below shop6.example.org, held by IngressDNSRecord team-a/shop6');
    await new Promise((res) => setTimeout(res, 5_000));
    await shop6.stop();
    expect(shop6.containing(ATTACKER_IP)).to.deep.equal([]);
    expect(await answer('evil.shop6.example.org')).to.equal('');
  });

  it('does not write a name above records another owner wrote in the zone itself (the planner, OwnershipConflict)', async () => {
    await eventually('A evil.shop8', () => answer('evil.shop8.example.org'), (a) => a === ATTACKER_IP, 30_000);
    const shop8 = sample('shop8.example.org');
    await bed.apply('host', recordYaml('team-a', 'shop8', 'shop8.example.org'));
    const r = await eventually('team-a OwnershipConflict', () => record('team-a', 'shop8'), (x) => ready(x)?.reason === 'OwnershipConflict', 60_000);
    expect(ready(r)?.message).to.contain('shop8.example.org would be answered with A evil.shop8.example.org too, held by owner "other-dns"');
    await new Promise((res) => setTimeout(res, 5_000));
    await shop8.stop();
    expect(shop8.containing(VICTIM_IP), 'answers where team-a\'s address would meet the other owner\'s').to.deep.equal([]);
  });

  it('audits both sides of a pair written by others: the name above and the name below', async () => {
    await put('/skydns/org/example/other/1a2b3c4d', { host: '198.51.100.7' });
    await put('/skydns/org/example/a-other/1a2b3c4e', { text: formatOwnership({ owner: 'external-dns', resource: 'crd/x/other' }) });
    await put('/skydns/org/example/other/api/1a2b3c4f', { host: '192.0.2.1' });
    await put('/skydns/org/example/other/a-api/1a2b3c50', { text: formatOwnership({ owner: 'someone', resource: 'crd/y/api' }) });
    const run = await promisify(execFile)(process.execPath, [MCDNS_CLI, 'audit', ...providerFlags(), '--zone', 'example.org', '-o', 'json']).then(
      (r) => ({ ...r, code: 0 }),
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    expect(run.code, run.stderr).to.equal(1);
    const report = JSON.parse(run.stdout) as { entries: { name: string; type: string; shadows?: string; shadowedBy?: string }[]; shadowing: number; shadowed: number };
    const at = (name: string) => report.entries.find((e) => e.name === name && e.type === 'A');
    expect(at('api.other.example.org')?.shadows).to.equal('A other.example.org (owner external-dns)');
    expect(at('other.example.org')?.shadowedBy).to.equal('A api.other.example.org (owner someone)');
    expect(report.shadowing).to.be.at.least(1);
    expect(report.shadowed).to.be.at.least(1);
  });
});

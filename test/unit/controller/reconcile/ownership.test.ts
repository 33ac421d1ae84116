// Ownership that holds against tenants, through the reconciler with the in-memory host and
// provider: a claim dates from when the record claimed the name (an old record editing its hosts
// or a re-created one wins nothing, a restart decides the same), an invalid record lets go of what
// it may no longer hold, TXT names belong to their names, wildcards and Service names are
// claimed, and probes present only names the record keeps.
import { expect } from 'chai';
import winston from 'winston';
import type { HealthCheck, IngressDNSRecord, ServiceDNSRecord } from '../../../../src/api/schema.js';
import { DirectOutputs } from '../../../../src/apply/outputs.js';
import { ProviderSink } from '../../../../src/apply/sink.js';
import { ClaimIndex } from '../../../../src/controller/triggers/claims.js';
import { Reconciler } from '../../../../src/controller/reconcile/reconciler.js';
import type { ReconcilerOptions } from '../../../../src/controller/reconcile/types.js';
import type { ProbeTarget } from '../../../../src/core/health-status.js';
import type { ClusterObservation } from '../../../../src/core/observation.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import type { Prober } from '../../../../src/health/index.js';
import { ownershipConfig, ownershipTxtNames } from '../../../../src/plan/ownership.js';
import { MemoryProvider } from '../../providers/memory-provider.js';
import { MemoryHost } from '../host/memory-host.js';
import { domainObject, lbService, ip, serviceRecord } from '../../core/fixtures.js';

const silent = winston.createLogger({ silent: true });
const ing = (namespace: string, name: string): RecordKey => ({ kind: 'IngressDNSRecord', namespace, name });
const TEAM_A = ing('team-a', 'shop');
const TEAM_B = ing('team-b', 'old');

function record(key: RecordKey, hosts: string[], createdAt: string, healthCheck?: HealthCheck): IngressDNSRecord {
  return {
    apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
    kind: 'IngressDNSRecord',
    metadata: { name: key.name, namespace: key.namespace, uid: `uid-${key.namespace}-${key.name}`, generation: 1, creationTimestamp: createdAt },
    spec: { hosts, ...(healthCheck ? { healthCheck } : {}) },
  };
}

function member(ingresses: { key: RecordKey; hosts: string[]; ip?: string }[], extra: Partial<ClusterObservation> = {}): ClusterObservation {
  return {
    cluster: 'member1',
    state: 'online',
    zones: [],
    ingresses: ingresses.map((i) => ({ namespace: i.key.namespace, name: i.key.name, hosts: i.hosts, loadBalancer: i.ip ? [{ ip: i.ip }] : [] })),
    services: [],
    ...extra,
  };
}

/** A controller process over one host: its clock, claims index and reconciler (a restart is a new one). */
function controller(host: MemoryHost, clock: { now: Date }, options: ReconcilerOptions = {}) {
  const claims = new ClaimIndex((name) => ownershipTxtNames(name, ownershipConfig()));
  const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => clock.now, { claims, ...options });
  return { claims, reconciler };
}

function views(host: MemoryHost) {
  return {
    names: (key: RecordKey) => host.dnsEndpoint(key.namespace, `ingress-${key.name}`)?.spec.endpoints?.map((e) => `${e.dnsName} ${e.targets.join(',')}`) ?? [],
    ready: (key: RecordKey) => host.record(key)?.status?.conditions?.find((c) => c.type === 'Ready'),
  };
}

describe('ownership: a claim is as old as the moment its record claimed the name', () => {
  function scene() {
    const host = new MemoryHost();
    const clock = { now: new Date('2025-06-01T00:00:00Z') };
    host.records.set(keyOf(TEAM_B), record(TEAM_B, ['dummy.example.org'], '2025-01-01T00:00:00Z'));
    host.records.set(keyOf(TEAM_A), record(TEAM_A, ['shop.example.org'], '2026-03-01T00:00:00Z'));
    host.clusters = [
      member([
        { key: TEAM_A, hosts: ['shop.example.org'], ip: '192.0.2.1' },
        { key: TEAM_B, hosts: ['dummy.example.org', 'shop.example.org'], ip: '192.0.2.66' },
      ]),
    ];
    return { host, clock, ...views(host) };
  }

  it('keeps a live name with its holder when an older record adds it to its hosts, and after a restart', async () => {
    const { host, clock, names, ready } = scene();
    const first = controller(host, clock);
    await first.reconciler.reconcile(TEAM_B);
    clock.now = new Date('2026-03-01T00:00:05Z');
    await first.reconciler.reconcile(TEAM_A);
    expect(host.record(TEAM_A)?.status?.claims).to.deep.equal([{ name: 'shop.example.org', since: '2026-03-01T00:00:05.000Z' }]);

    clock.now = new Date('2026-04-01T00:00:00Z');
    host.records.set(keyOf(TEAM_B), { ...(host.record(TEAM_B) as IngressDNSRecord), spec: { hosts: ['dummy.example.org', 'shop.example.org'] } });
    await first.reconciler.reconcile(TEAM_B);
    await first.reconciler.reconcile(TEAM_A);
    expect(names(TEAM_A)).to.deep.equal(['shop.example.org 192.0.2.1']);
    expect(names(TEAM_B)).to.deep.equal(['dummy.example.org 192.0.2.66']);
    expect(ready(TEAM_B)).to.include({ status: 'False', reason: 'NameConflict' });
    expect(ready(TEAM_B)?.message).to.contain('shop.example.org is held by IngressDNSRecord team-a/shop (an older claim since 2026-03-01T00:00:05.000Z)');
    expect(host.record(TEAM_B)?.status?.claims).to.deep.equal([
      { name: 'dummy.example.org', since: '2025-06-01T00:00:00.000Z' },
      { name: 'shop.example.org', since: '2026-04-01T00:00:00.000Z' },
    ]);

    // A restart: a new index, seeded from the statuses; the attacker reconciled first.
    clock.now = new Date('2026-05-01T00:00:00Z');
    const second = controller(host, clock);
    second.reconciler.seedClaims([TEAM_B, TEAM_A]);
    await second.reconciler.reconcile(TEAM_B);
    expect(names(TEAM_B)).to.deep.equal(['dummy.example.org 192.0.2.66']);
    await second.reconciler.reconcile(TEAM_A);
    expect(names(TEAM_A)).to.deep.equal(['shop.example.org 192.0.2.1']);
  });

  it('claims the names of a record never reconciled when it is first seen, not at its creationTimestamp', async () => {
    const { host, clock, names } = scene();
    // Created in the same second as team-a's claim, in a namespace that sorts first: still younger.
    const early = ing('aaa', 'early');
    host.records.set(keyOf(early), record(early, ['shop.example.org'], '2026-03-01T00:00:00Z'));
    host.clusters = [member([{ key: TEAM_A, hosts: ['shop.example.org'], ip: '192.0.2.1' }, { key: early, hosts: ['shop.example.org'], ip: '192.0.2.66' }])];
    const { reconciler } = controller(host, clock);
    clock.now = new Date('2026-03-01T00:00:00.100Z');
    await reconciler.reconcile(TEAM_A);
    clock.now = new Date('2026-03-01T00:00:00.400Z');
    await reconciler.reconcile(early);
    expect(names(early)).to.deep.equal([]);
    expect(names(TEAM_A)).to.deep.equal(['shop.example.org 192.0.2.1']);
  });

  it('gives a re-created record a young claim: it waits behind the live holder', async () => {
    const { host, clock, names, ready } = scene();
    const { reconciler } = controller(host, clock);
    clock.now = new Date('2026-03-01T00:00:05Z');
    await reconciler.reconcile(TEAM_A);
    clock.now = new Date('2026-04-01T00:00:00Z');
    // team-b re-creates its old record: same name and creationTimestamp games change nothing.
    host.records.set(keyOf(TEAM_B), record(TEAM_B, ['shop.example.org'], '2026-04-01T00:00:00Z'));
    await reconciler.reconcile(TEAM_B);
    expect(ready(TEAM_B)).to.include({ reason: 'NameConflict' });
    expect(names(TEAM_A)).to.deep.equal(['shop.example.org 192.0.2.1']);
  });

  it('decides at an upgrade as the previous version did: records an earlier mcdns reconciled date from their creation', async () => {
    const { host, clock, names } = scene();
    // Both records come from an earlier mcdns (a Ready condition, no status.claims); team-b's is older.
    const reconciledBefore = (r: IngressDNSRecord): IngressDNSRecord => ({
      ...r,
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Published', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }] },
    });
    host.records.set(keyOf(TEAM_B), reconciledBefore(record(TEAM_B, ['shop.example.org'], '2025-01-01T00:00:00Z')));
    host.records.set(keyOf(TEAM_A), reconciledBefore(record(TEAM_A, ['shop.example.org'], '2026-03-01T00:00:00Z')));
    const { reconciler } = controller(host, clock);
    reconciler.seedClaims([TEAM_A, TEAM_B]);
    await reconciler.reconcile(TEAM_A);
    await reconciler.reconcile(TEAM_B);
    expect(names(TEAM_B)).to.deep.equal(['shop.example.org 192.0.2.66']);
    expect(host.record(TEAM_B)?.status?.claims).to.deep.equal([{ name: 'shop.example.org', since: '2025-01-01T00:00:00.000Z' }]);
  });
});

describe('ownership: an invalid record lets go of what it may no longer hold', () => {
  function scene() {
    const host = new MemoryHost();
    const clock = { now: new Date('2026-01-01T00:00:00Z') };
    const provider = new MemoryProvider(['example.org']);
    const sink = new ProviderSink({ provider, ownership: ownershipConfig(), policy: 'sync', log: silent, batchWindowMs: 0 });
    let allowed: Record<string, string[]> = {};
    const namePolicy = {
      decide: (namespace: string, ns: Iterable<string>) => {
        const all = [...ns];
        const ok = (n: string) => (allowed[namespace] ?? all).includes(n);
        return { allowed: all.filter(ok), denied: all.filter((n) => !ok(n)).map((n) => ({ name: n, why: `${n} is not allowed in namespace ${namespace}` })) };
      },
    };
    host.records.set(keyOf(TEAM_B), record(TEAM_B, ['shop.example.org', 'b.example.org'], '2026-01-01T00:00:00Z'));
    host.clusters = [
      member([
        { key: TEAM_A, hosts: ['shop.example.org'], ip: '192.0.2.1' },
        { key: TEAM_B, hosts: ['shop.example.org', 'b.example.org'], ip: '192.0.2.66' },
      ]),
    ];
    const c = controller(host, clock, { direct: new DirectOutputs([{ name: 'memory', sink }]), namePolicy });
    const a = (zone: string) => provider.list(zone).filter((r) => r.startsWith('A '));
    return { host, clock, provider, a, setAllowed: (p: Record<string, string[]>) => (allowed = p), ...c, ...views(host) };
  }

  it('withdraws a name the policy no longer allows from its DNSEndpoint and the provider, and the next claimant gets it', async () => {
    const { host, clock, reconciler, names, ready, a, setAllowed } = scene();
    await reconciler.reconcile(TEAM_B);
    expect(a('example.org')).to.deep.equal(['A b.example.org 192.0.2.66', 'A shop.example.org 192.0.2.66']);
    // team-b's record turns invalid (a probe Host that is none of its names)...
    host.records.set(keyOf(TEAM_B), { ...(host.record(TEAM_B) as IngressDNSRecord), spec: { hosts: ['shop.example.org', 'b.example.org'], healthCheck: { host: 'nothing.example.net' } } });
    await reconciler.reconcile(TEAM_B);
    expect(ready(TEAM_B)).to.include({ reason: 'InvalidSpec' });
    expect(names(TEAM_B)).to.deep.equal(['b.example.org 192.0.2.66', 'shop.example.org 192.0.2.66']);
    // ...then the admin grants example.org to team-a only, and team-a claims the name.
    setAllowed({ 'team-b': ['b.example.org'] });
    clock.now = new Date('2026-02-01T00:00:00Z');
    host.records.set(keyOf(TEAM_A), record(TEAM_A, ['shop.example.org'], '2026-02-01T00:00:00Z'));
    await reconciler.reconcile(TEAM_A);
    await reconciler.reconcile(TEAM_B);
    expect(ready(TEAM_B)).to.include({ status: 'False', reason: 'InvalidSpec' });
    expect(ready(TEAM_B)?.message).to.contain('not published any more: shop.example.org is not allowed in namespace team-b');
    expect(names(TEAM_B)).to.deep.equal(['b.example.org 192.0.2.66']);
    expect(host.record(TEAM_B)?.status?.claims?.map((c) => c.name)).to.deep.equal(['b.example.org']);
    await reconciler.reconcile(TEAM_A);
    expect(names(TEAM_A)).to.deep.equal(['shop.example.org 192.0.2.1']);
    expect(ready(TEAM_A)).to.include({ status: 'True', reason: 'Published' });
    expect(a('example.org')).to.deep.equal(['A b.example.org 192.0.2.66', 'A shop.example.org 192.0.2.1']);
  });

  it('lets go of what a ServiceDNSRecord whose Domain is gone may no longer hold, keeping the rest', async () => {
    const { host, reconciler, a, setAllowed } = scene();
    const svc: RecordKey = { kind: 'ServiceDNSRecord', namespace: 'team-b', name: 'api' };
    host.domains.set('kube-federation-system/galactic', domainObject('example.org'));
    const r = serviceRecord('api', { dnsPrefix: 'www' }, 'team-b');
    r.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
    host.records.set(keyOf(svc), r);
    host.clusters = [{ ...member([]), services: [lbService('api', [ip('192.0.2.7')], { namespace: 'team-b' })] }];
    await reconciler.reconcile(svc);
    expect(a('example.org')).to.deep.equal(['A api.team-b.galactic.svc.example.org 192.0.2.7']);
    host.domains.clear();
    setAllowed({ 'team-b': ['api.team-b.galactic.svc.example.org'] });
    await reconciler.reconcile(svc);
    expect(host.record(svc)?.status?.conditions?.[0]?.message).to.contain('Domain "galactic" not found');
    expect(host.record(svc)?.status?.conditions?.[0]?.message).to.contain('not published any more: www.example.org is not allowed');
    expect(a('example.org')).to.deep.equal(['A api.team-b.galactic.svc.example.org 192.0.2.7']);
    expect(host.dnsEndpoint('team-b', 'service-api')?.spec.endpoints?.map((e) => e.dnsName)).to.deep.equal(['api.team-b.galactic.svc.example.org']);
  });
});

describe('ownership: TXT names, wildcards and Service names are claimed too', () => {
  it('gives a name its ownership TXT name even when another team published that name first', async () => {
    const host = new MemoryHost();
    const clock = { now: new Date('2026-01-01T00:00:00Z') };
    const squat = ing('team-b', 'squat');
    host.records.set(keyOf(squat), record(squat, ['a-shop.example.org'], '2025-01-01T00:00:00Z'));
    host.records.set(keyOf(TEAM_A), record(TEAM_A, ['shop.example.org'], '2026-01-01T00:00:00Z'));
    host.clusters = [member([{ key: TEAM_A, hosts: ['shop.example.org'], ip: '192.0.2.1' }, { key: squat, hosts: ['a-shop.example.org'], ip: '192.0.2.66' }])];
    const { reconciler } = controller(host, clock);
    const { names, ready } = views(host);
    await reconciler.reconcile(squat);
    expect(names(squat)).to.deep.equal(['a-shop.example.org 192.0.2.66']);
    await reconciler.reconcile(TEAM_A);
    await reconciler.reconcile(squat);
    expect(names(TEAM_A)).to.deep.equal(['shop.example.org 192.0.2.1']);
    expect(names(squat)).to.deep.equal([]);
    expect(ready(squat)).to.include({ reason: 'NameConflict' });
    expect(ready(squat)?.message).to.contain('a-shop.example.org is the ownership TXT name of shop.example.org, claimed by IngressDNSRecord team-a/shop');
  });

  it('keeps a younger wildcard of another team out while an older claim holds a name below it, address or not', async () => {
    const host = new MemoryHost();
    const clock = { now: new Date('2026-01-01T00:00:00Z') };
    const www = ing('team-a', 'www');
    const wild = ing('team-b', 'wild');
    host.records.set(keyOf(www), record(www, ['www.shop.example.org'], '2026-01-01T00:00:00Z'));
    host.records.set(keyOf(wild), record(wild, ['*.shop.example.org', 'b.example.org'], '2026-02-01T00:00:00Z'));
    host.clusters = [member([{ key: www, hosts: ['www.shop.example.org'] }, { key: wild, hosts: ['*.shop.example.org', 'b.example.org'], ip: '192.0.2.66' }])];
    const { reconciler } = controller(host, clock);
    const { names, ready } = views(host);
    reconciler.seedClaims([wild, www]);
    await reconciler.reconcile(wild);
    expect(names(wild)).to.deep.equal(['b.example.org 192.0.2.66']);
    expect(ready(wild)?.message).to.contain('*.shop.example.org covers www.shop.example.org, held by IngressDNSRecord team-a/www');
  });

  it('claims every regional and zonal name of a ServiceDNSRecord from the members\' locations, published or not, from the first reconcile after a restart', async () => {
    const host = new MemoryHost();
    const clock = { now: new Date('2026-01-01T00:00:00Z') };
    host.domains.set('kube-federation-system/galactic', domainObject('example.org'));
    const svc: RecordKey = { kind: 'ServiceDNSRecord', namespace: 'team-a', name: 'api' };
    const base = serviceRecord('api', {}, 'team-a') as ServiceDNSRecord;
    host.records.set(keyOf(svc), { ...base, metadata: { ...base.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } });
    const zonal = 'api.team-a.galactic.svc.eu-1a.eu.example.org';
    const squat = ing('team-b', 'zonal');
    host.records.set(keyOf(squat), record(squat, [zonal], '2026-02-01T00:00:00Z'));
    // member2 is in eu/eu-1a but has no such Service: the name is not published, yet claimed.
    host.clusters = [
      { ...member([{ key: squat, hosts: [zonal], ip: '192.0.2.66' }]), services: [lbService('api', [ip('192.0.2.7')], { namespace: 'team-a' })] },
      { cluster: 'member2', state: 'online', region: 'eu', zones: ['eu-1a'], ingresses: [], services: [] },
    ];
    await controller(host, clock).reconciler.reconcile(svc);
    expect(host.record(svc)?.status?.claims?.map((c) => c.name)).to.include(zonal);
    const restarted = controller(host, { now: new Date('2026-03-01T00:00:00Z') });
    restarted.reconciler.seedClaims([squat, svc]);
    await restarted.reconciler.reconcile(squat);
    expect(views(host).names(squat)).to.deep.equal([]);
    expect(views(host).ready(squat)?.message).to.contain(`${zonal} is held by ServiceDNSRecord team-a/api`);
  });
});

describe('ownership: on a provider answering subtrees, names above and below are claimed', () => {
  it('keeps a name below a name another team claims out, even while that name has no address', async () => {
    const host = new MemoryHost();
    const clock = { now: new Date('2026-01-01T00:00:00Z') };
    const shop = ing('team-a', 'shop7');
    const evil = ing('team-b', 'evil7');
    host.records.set(keyOf(shop), record(shop, ['shop7.example.org'], '2026-01-01T00:00:00Z'));
    host.records.set(keyOf(evil), record(evil, ['evil.shop7.example.org'], '2026-02-01T00:00:00Z'));
    host.clusters = [member([{ key: shop, hosts: ['shop7.example.org'] }, { key: evil, hosts: ['evil.shop7.example.org'], ip: '192.0.2.66' }])];
    const claims = new ClaimIndex((name) => ownershipTxtNames(name, ownershipConfig()), true);
    const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => clock.now, { claims });
    reconciler.seedClaims([shop, evil]);
    await reconciler.reconcile(evil);
    expect(views(host).names(evil)).to.deep.equal([]);
    expect(views(host).ready(evil)?.message).to.contain('evil.shop7.example.org is below shop7.example.org, held by IngressDNSRecord team-a/shop7');
  });
});

describe('ownership: probes present only names the record keeps', () => {
  it('probes with a Host the record publishes: never a name it lost, nor a healthCheck.host it does not hold', async () => {
    const host = new MemoryHost();
    const clock = { now: new Date('2026-01-01T00:00:00Z') };
    const holder = ing('team-a', 'holder');
    const probed = ing('team-b', 'probed');
    host.records.set(keyOf(holder), record(holder, ['a.example.org'], '2025-01-01T00:00:00Z'));
    host.records.set(keyOf(probed), record(probed, ['a.example.org', 'b.example.org'], '2026-01-01T00:00:00Z', { host: 'a.example.org', protocol: 'https' }));
    host.clusters = [member([{ key: holder, hosts: ['a.example.org'], ip: '192.0.2.1' }, { key: probed, hosts: ['a.example.org', 'b.example.org'], ip: '192.0.2.66' }])];
    const tracked = new Map<string, { targets: ProbeTarget[]; check: HealthCheck }>();
    const prober = {
      track: (r: string, targets: ProbeTarget[], check: HealthCheck) => tracked.set(r, { targets, check }),
      untrack: (r: string) => tracked.delete(r),
      health: () => ({ target: () => ({ healthy: true, since: '2026-01-01T00:00:00Z' }) }),
    } as unknown as Prober;
    const { reconciler } = controller(host, clock, { prober });
    reconciler.seedClaims([holder, probed]);
    await reconciler.reconcile(probed);
    const probe = tracked.get(keyOf(probed));
    expect(probe?.targets.map((t) => `${t.address} ${t.host}`)).to.deep.equal(['192.0.2.66 b.example.org']);
    expect(probe?.check.host, 'healthCheck.host is a name another record holds').to.equal(undefined);
    expect(views(host).ready(probed)).to.include({ reason: 'NameConflict' });
  });
});

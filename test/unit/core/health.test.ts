// Health-aware pruning and strategies, as pure functions: probe verdicts, cluster states and the
// endpoints published now in; endpoints, Ready verdict and status.health out.
import { expect } from 'chai';
import type { Endpoint, IngressDNSRecord, ServiceDNSRecord } from '../../../src/api/schema.js';
import { desiredForIngressRecord } from '../../../src/core/desired-ingress.js';
import { desiredForServiceRecord } from '../../../src/core/desired-service.js';
import { publishedTargets, recordedVerdicts, type HealthView, type ProbeHealth } from '../../../src/core/health-input.js';
import { withHealthStatus } from '../../../src/core/health-status.js';
import { clusterOrder, selectTargets, type Candidate, type SelectOptions } from '../../../src/core/target-selection.js';
import type { ClusterObservation } from '../../../src/core/observation.js';
import { domainObject, ingress, ingressRecord, ip, lbService, NAMESPACE, offline, online, serviceRecord } from './fixtures.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';
const HOST = 'shop.example.org';

/** A prober view from a table of address → verdict; absent addresses have no verdict yet. */
function probes(table: Record<string, ProbeHealth>): HealthView {
  return { target: (address) => table[address] };
}
const down = (lastError = 'connection refused', since = T1): ProbeHealth => ({ healthy: false, since, lastError });
const up = (since = T0): ProbeHealth => ({ healthy: true, since });

const a = (dnsName: string, targets: string[], recordTTL = 180): Endpoint => ({ dnsName, targets, recordType: 'A', recordTTL });

function shopCluster(name: string, address: string, parts: Partial<ClusterObservation> = {}): ClusterObservation {
  return online(name, { stateSince: T0, ingresses: [ingress('shop', [HOST], [ip(address)])], ...parts });
}
function shopRecord(spec: Partial<IngressDNSRecord['spec']> = {}): IngressDNSRecord {
  const r = ingressRecord('shop', [HOST]);
  return { ...r, spec: { ...r.spec, ...spec } };
}
const twoClusters = () => [shopCluster('member1', '127.0.0.11'), shopCluster('member2', '127.0.0.12')];

function cand(cluster: string, target: string, healthy: boolean): Candidate {
  return { cluster, target, address: { cluster, ip: target }, healthy, probeFailed: !healthy };
}
function opts(parts: Partial<SelectOptions> = {}): SelectOptions {
  return { strategy: 'roundRobin', priority: [], failOpen: 'keep-last-or-all', previous: new Set(), ...parts };
}
const targetsOf = (chosen: Candidate[]) => chosen.map((c) => c.target);

describe('health: choosing the targets of one name', () => {
  const pool = [cand('a', '10.0.0.1', false), cand('b', '10.0.0.2', true), cand('c', '10.0.0.3', true)];

  it('roundRobin publishes every healthy target and drops the unhealthy one', () => {
    const s = selectTargets('n', pool, opts());
    expect(targetsOf(s.chosen)).to.deep.equal(['10.0.0.2', '10.0.0.3']);
    expect(s.outcome).to.equal('healthy');
  });

  it('fail-open keeps the published targets that still exist when every target is unhealthy and no verdict has a time', () => {
    const dead = [cand('a', '10.0.0.1', false), cand('b', '10.0.0.2', false)];
    const s = selectTargets('n', dead, opts({ previous: new Set(['10.0.0.2', '10.0.0.9']) }));
    expect(targetsOf(s.chosen)).to.deep.equal(['10.0.0.2']);
    expect(s.outcome).to.equal('fail-open');
    expect(s.notes).to.deep.equal(['n: every target is unhealthy; fail-open keeps publishing 10.0.0.2 (the set published now)']);
  });

  describe('fail-open after a correlated failure', () => {
    const at = (c: Candidate, since: string): Candidate => ({ ...c, since });
    const ms = (base: string, plus: number) => new Date(Date.parse(base) + plus).toISOString();

    it('keeps both targets when they were judged unhealthy 13 ms apart, not only the last survivor', () => {
      const dead = [at(cand('a', '10.0.0.1', false), T1), at(cand('b', '10.0.0.2', false), ms(T1, 13))];
      const s = selectTargets('n', dead, opts({ previous: new Set(['10.0.0.2']), windowMs: 15_000 }));
      expect(targetsOf(s.chosen)).to.deep.equal(['10.0.0.1', '10.0.0.2']);
      expect(s.outcome).to.equal('fail-open');
      expect(s.notes).to.deep.equal([
        'n: every target is unhealthy; fail-open keeps publishing 10.0.0.1, 10.0.0.2 (one failure: unhealthy within 15 s of each other)',
      ]);
    });

    it('leaves out a target that failed more than one detection window before the last one', () => {
      const dead = [at(cand('a', '10.0.0.1', false), T0), at(cand('b', '10.0.0.2', false), T1)];
      const s = selectTargets('n', dead, opts({ previous: new Set(['10.0.0.2']), windowMs: 15_000 }));
      expect(targetsOf(s.chosen)).to.deep.equal(['10.0.0.2']);
      expect(s.notes[0]).to.match(/keeps publishing 10\.0\.0\.2 \(the last to fail\)$/);
    });

    it('counts a failure exactly one window before the last one as the same failure', () => {
      const dead = [at(cand('a', '10.0.0.1', false), ms(T1, -15_000)), at(cand('b', '10.0.0.2', false), T1)];
      expect(targetsOf(selectTargets('n', dead, opts({ windowMs: 15_000 })).chosen)).to.deep.equal(['10.0.0.1', '10.0.0.2']);
    });

    it('decides from the verdict times alone: the same verdicts keep the same set whatever is published now', () => {
      const dead = [at(cand('a', '10.0.0.1', false), T1), at(cand('b', '10.0.0.2', false), ms(T1, 13))];
      const after = selectTargets('n', dead, opts({ previous: new Set(['10.0.0.1', '10.0.0.2']), windowMs: 15_000 }));
      const restarted = selectTargets('n', dead, opts({ previous: new Set(), windowMs: 15_000 }));
      expect(targetsOf(restarted.chosen)).to.deep.equal(targetsOf(after.chosen));
    });

    it('failover: keeps what failover served before the collapse, the first cluster of the failed set', () => {
      const dead = [
        at(cand('east', '10.0.0.1', false), T0),
        at(cand('west', '10.0.0.2', false), T1),
        at(cand('south', '10.0.0.3', false), ms(T1, 40)),
      ];
      const s = selectTargets('n', dead, opts({ strategy: 'failover', priority: ['east', 'west', 'south'], windowMs: 15_000 }));
      expect(targetsOf(s.chosen)).to.deep.equal(['10.0.0.2']);
      expect(s.outcome).to.equal('fail-open');
    });
  });

  it('fail-open on a top-level name with nothing to keep publishes all its targets', () => {
    const dead = [cand('a', '10.0.0.1', false), cand('b', '10.0.0.2', false)];
    expect(targetsOf(selectTargets('n', dead, opts()).chosen)).to.deep.equal(['10.0.0.1', '10.0.0.2']);
  });

  it('fail-open on a located name with nothing to keep publishes nothing (its CNAME takes over)', () => {
    const dead = [cand('a', '10.0.0.1', false)];
    const s = selectTargets('n', dead, opts({ failOpen: 'keep-last' }));
    expect(s.chosen).to.deep.equal([]);
    expect(s.outcome).to.equal('none');
  });

  it('without fail-open an all-unhealthy name publishes nothing, whatever was published', () => {
    const dead = [cand('a', '10.0.0.1', false)];
    expect(selectTargets('n', dead, opts({ failOpen: 'off', previous: new Set(['10.0.0.1']) })).chosen).to.deep.equal([]);
  });

  it('says nothing about a name without candidates', () => {
    expect(selectTargets('n', [], opts())).to.deep.equal({ chosen: [], outcome: 'empty', notes: [] });
  });

  describe('failover', () => {
    const both = (aHealthy: boolean, bHealthy: boolean) => [
      cand('east', '10.0.0.1', aHealthy),
      cand('east', '10.0.0.11', aHealthy),
      cand('west', '10.0.0.2', bHealthy),
    ];
    const priority = ['east', 'west'];

    it('publishes only the first healthy cluster of the priority list', () => {
      const s = selectTargets('n', both(true, true), opts({ strategy: 'failover', priority }));
      expect(targetsOf(s.chosen)).to.deep.equal(['10.0.0.1', '10.0.0.11']);
      expect(s.notes).to.deep.equal([]);
    });

    it('moves to the next cluster when the first has no healthy target, and says so', () => {
      const s = selectTargets('n', both(false, true), opts({ strategy: 'failover', priority }));
      expect(targetsOf(s.chosen)).to.deep.equal(['10.0.0.2']);
      expect(s.outcome).to.equal('failover');
      expect(s.notes).to.deep.equal(['n: failover to cluster west (no healthy target in east)']);
    });

    it('keeps only the healthy targets of the serving cluster', () => {
      const mixed = [cand('east', '10.0.0.1', false), cand('east', '10.0.0.11', true), cand('west', '10.0.0.2', true)];
      expect(targetsOf(selectTargets('n', mixed, opts({ strategy: 'failover', priority })).chosen)).to.deep.equal(['10.0.0.11']);
    });

    it('with every cluster unhealthy and nothing to keep, fails open to the first cluster only', () => {
      const s = selectTargets('n', both(false, false), opts({ strategy: 'failover', priority: ['west', 'east'] }));
      expect(targetsOf(s.chosen)).to.deep.equal(['10.0.0.2']);
      expect(s.outcome).to.equal('fail-open');
    });

    it('orders listed clusters first, in list order, then the others by name; unknown names are ignored', () => {
      expect(clusterOrder(['d', 'b', 'a', 'c'], ['c', 'zz', 'a'])).to.deep.equal(['c', 'a', 'b', 'd']);
      expect(clusterOrder(['b', 'a'], [])).to.deep.equal(['a', 'b']);
    });
  });

  it('reads the published targets per name, canonical and case-insensitive', () => {
    const map = publishedTargets([
      { dnsName: 'Shop.Example.org', recordType: 'AAAA', targets: ['2001:DB8:0:0:0:0:0:1'] },
      { dnsName: 'shop.example.org', recordType: 'A', targets: ['10.0.0.1'] },
    ]);
    expect([...(map.get('shop.example.org') ?? [])]).to.deep.equal(['2001:db8::1', '10.0.0.1']);
  });
});

describe('health: IngressDNSRecord with a health input', () => {
  it('takes a target failing its probes out of the answer and says why in Ready and status.health', () => {
    const d = desiredForIngressRecord(shopRecord(), twoClusters(), {
      probes: probes({ '127.0.0.11': up(), '127.0.0.12': down('HTTP 503 (expected 200-399)') }),
      published: [a(HOST, ['127.0.0.11', '127.0.0.12'])],
    });
    expect(d.endpoints).to.deep.equal([a(HOST, ['127.0.0.11'])]);
    expect(d.ready.status).to.equal('True');
    expect(d.ready.reason).to.equal('Published');
    expect(d.ready.message).to.equal(
      `published 1 name, 1 target from cluster member1; member2: 127.0.0.12 failing health checks since ${T1}: HTTP 503 (expected 200-399)`,
    );
    expect(d.health).to.deep.equal({
      clusters: [
        { cluster: 'member1', healthy: true, since: T0 },
        { cluster: 'member2', healthy: true, since: T0 },
      ],
      targets: [
        { target: '127.0.0.11', cluster: 'member1', healthy: true, published: true, since: T0 },
        { target: '127.0.0.12', cluster: 'member2', healthy: false, published: false, since: T1, lastError: 'HTTP 503 (expected 200-399)' },
      ],
    });
  });

  it('never publishes an address the probe policy refuses, not even through fail-open, and says why', () => {
    const refused: ProbeHealth = { healthy: false, since: T1, lastError: 'probe refused: loopback address', refused: true };
    const d = desiredForIngressRecord(shopRecord(), twoClusters(), {
      probes: probes({ '127.0.0.11': refused, '127.0.0.12': refused }),
      published: [a(HOST, ['127.0.0.11'])],
    });
    expect(d.endpoints).to.deep.equal([]);
    expect(d.ready).to.include({ status: 'False' });
    expect(d.ready.message).to.include('member1: 127.0.0.11 not published: probe refused: loopback address');
    expect(d.health?.targets?.[0]).to.deep.equal({
      target: '127.0.0.11', cluster: 'member1', healthy: false, published: false, since: T1, lastError: 'probe refused: loopback address',
    });
    expect(d.health?.failOpen).to.equal(undefined);
    // Still tracked, so the prober checks it again (a hostname's addresses can change).
    expect(d.probeTargets?.map((t) => t.address)).to.deep.equal(['127.0.0.11', '127.0.0.12']);
  });

  it('publishes the allowed address beside a refused one', () => {
    const refused: ProbeHealth = { healthy: false, since: T1, lastError: 'probe refused: loopback address', refused: true };
    const d = desiredForIngressRecord(shopRecord(), twoClusters(), { probes: probes({ '127.0.0.12': refused }), published: [] });
    expect(d.endpoints).to.deep.equal([a(HOST, ['127.0.0.11'])]);
    expect(d.ready).to.include({ status: 'True', reason: 'Published' });
  });

  it('counts a target without a verdict yet as healthy, so a restart never empties DNS', () => {
    const d = desiredForIngressRecord(shopRecord(), twoClusters(), { probes: probes({}), published: [] });
    expect(d.endpoints).to.deep.equal([a(HOST, ['127.0.0.11', '127.0.0.12'])]);
  });

  it('keeps the last healthy set when every target is unhealthy (fail-open), with reason FailOpen', () => {
    const d = desiredForIngressRecord(shopRecord(), twoClusters(), {
      probes: probes({ '127.0.0.11': down('connection refused', T1), '127.0.0.12': down('connection refused', T0) }),
      published: [a(HOST, ['127.0.0.11'])],
    });
    expect(d.endpoints).to.deep.equal([a(HOST, ['127.0.0.11'])]);
    expect(d.ready).to.include({ status: 'True', reason: 'FailOpen' });
    expect(d.ready.message).to.match(/^published 1 name, 1 target from cluster member1; shop\.example\.org: every target is unhealthy; fail-open keeps publishing 127\.0\.0\.11 \(the last to fail\); /);
    expect(d.health?.failOpen).to.deep.equal([HOST]);
  });

  it('keeps every target of a correlated failure, in DNS and in the Ready message', () => {
    const d = desiredForIngressRecord(shopRecord(), twoClusters(), {
      probes: probes({ '127.0.0.11': down('connection refused', '2026-01-01T00:01:00.000Z'), '127.0.0.12': down('connection refused', '2026-01-01T00:01:00.013Z') }),
      published: [a(HOST, ['127.0.0.12'])],
    });
    expect(d.endpoints).to.deep.equal([a(HOST, ['127.0.0.11', '127.0.0.12'])]);
    expect(d.ready.message).to.contain('shop.example.org: every target is unhealthy; fail-open keeps publishing 127.0.0.11, 127.0.0.12 (one failure: unhealthy within 15 s of each other)');
  });

  it('measures the correlation window as the record\'s intervalSeconds × failureThreshold', () => {
    const record = shopRecord({ healthCheck: { intervalSeconds: 1, failureThreshold: 2 } });
    const apart = (ms: number) =>
      desiredForIngressRecord(record, twoClusters(), {
        probes: probes({ '127.0.0.11': down('refused', T1), '127.0.0.12': down('refused', new Date(Date.parse(T1) + ms).toISOString()) }),
        published: [a(HOST, ['127.0.0.12'])],
      }).endpoints;
    // spec.healthCheck makes the name health-checked: the 30 s TTL.
    expect(apart(2_000)).to.deep.equal([a(HOST, ['127.0.0.11', '127.0.0.12'], 30)]);
    expect(apart(2_001)).to.deep.equal([a(HOST, ['127.0.0.12'], 30)]);
  });

  it('is a fixed point: fail-open fed its own output publishes the same again', () => {
    const input = { probes: probes({ '127.0.0.11': down(), '127.0.0.12': down() }), published: [a(HOST, ['127.0.0.11'])] };
    const first = desiredForIngressRecord(shopRecord(), twoClusters(), input);
    const second = desiredForIngressRecord(shopRecord(), twoClusters(), { ...input, published: first.endpoints });
    expect(second).to.deep.equal(first);
  });

  it('with fail-open off, publishes nothing when every target is unhealthy and says why', () => {
    const d = desiredForIngressRecord(shopRecord(), twoClusters(), {
      probes: probes({ '127.0.0.11': down(), '127.0.0.12': down() }),
      published: [a(HOST, ['127.0.0.11'])],
      failOpen: false,
    });
    expect(d.endpoints).to.deep.equal([]);
    expect(d.ready.status).to.equal('False');
    expect(d.ready.message).to.contain('member1: 127.0.0.11 failing health checks');
  });

  it('treats an offline cluster as unhealthy: fail-open keeps its last published address when all are offline', () => {
    const clusters = [
      shopCluster('member1', '127.0.0.11', { state: 'offline', stateSince: T1, stateMessage: 'connect ECONNREFUSED' }),
      shopCluster('member2', '127.0.0.12', { state: 'offline', stateSince: T1 }),
    ];
    const d = desiredForIngressRecord(shopRecord(), clusters, { published: [a(HOST, ['127.0.0.11', '127.0.0.12'])] });
    expect(d.endpoints).to.deep.equal([a(HOST, ['127.0.0.11', '127.0.0.12'])]);
    expect(d.ready.reason).to.equal('FailOpen');
    expect(d.health?.clusters?.[0]).to.deep.equal({
      cluster: 'member1',
      healthy: false,
      since: T1,
      lastError: `offline since ${T1}: connect ECONNREFUSED`,
    });
    // Without a health input the old behaviour stays: offline clusters publish nothing.
    expect(desiredForIngressRecord(shopRecord(), clusters).endpoints).to.deep.equal([]);
  });

  it('does not bring back an address that no cluster has any more', () => {
    const d = desiredForIngressRecord(shopRecord(), twoClusters(), {
      probes: probes({ '127.0.0.11': down(), '127.0.0.12': down() }),
      published: [a(HOST, ['127.0.0.99'])],
    });
    expect(d.endpoints).to.deep.equal([a(HOST, ['127.0.0.11', '127.0.0.12'])]);
  });

  it('failover: publishes the first cluster of failoverPriority, moves to the second when it fails, and back', () => {
    const record = shopRecord({ strategy: 'failover', failoverPriority: ['member2', 'member1'] });
    const healthy = desiredForIngressRecord(record, twoClusters(), { probes: probes({}) });
    expect(healthy.endpoints).to.deep.equal([a(HOST, ['127.0.0.12'])]);
    const failed = desiredForIngressRecord(record, twoClusters(), { probes: probes({ '127.0.0.12': down() }), published: healthy.endpoints });
    expect(failed.endpoints).to.deep.equal([a(HOST, ['127.0.0.11'])]);
    expect(failed.ready.message).to.contain(`${HOST}: failover to cluster member1 (no healthy target in member2)`);
    const back = desiredForIngressRecord(record, twoClusters(), { probes: probes({ '127.0.0.12': up(T1) }), published: failed.endpoints });
    expect(back.endpoints).to.deep.equal([a(HOST, ['127.0.0.12'])]);
  });

  it('failover works on reachability alone when no health input is given', () => {
    const record = shopRecord({ strategy: 'failover', failoverPriority: ['member1', 'member2'] });
    const clusters = [shopCluster('member1', '127.0.0.11', { state: 'offline' }), shopCluster('member2', '127.0.0.12')];
    expect(desiredForIngressRecord(record, clusters).endpoints).to.deep.equal([a(HOST, ['127.0.0.12'])]);
  });

  it('lists one probe target per address with the record host as the default Host header, and every name it serves', () => {
    const record = ingressRecord('shop', ['b.example.org', 'a.example.org']);
    const clusters = [
      online('member1', { ingresses: [ingress('shop', [], [ip('127.0.0.11'), { hostname: 'lb.example.net' }])] }),
      online('member2', { state: 'offline', ingresses: [ingress('shop', [], [ip('127.0.0.12')])] }),
    ];
    const d = desiredForIngressRecord(record, clusters, {});
    expect(d.probeTargets).to.deep.equal([
      { address: '127.0.0.11', cluster: 'member1', host: 'a.example.org', names: ['a.example.org', 'b.example.org'] },
      { address: 'lb.example.net', cluster: 'member1', host: 'a.example.org', names: ['a.example.org', 'b.example.org'] },
      { address: '127.0.0.12', cluster: 'member2', host: 'a.example.org', names: ['a.example.org', 'b.example.org'] },
    ]);
    expect(desiredForIngressRecord(record, clusters).probeTargets).to.equal(undefined);
  });

  it('gives the same result whatever the order of clusters', () => {
    const input = { probes: probes({ '127.0.0.12': down() }), published: [a(HOST, ['127.0.0.11'])] };
    expect(desiredForIngressRecord(shopRecord(), [...twoClusters()].reverse(), input)).to.deep.equal(
      desiredForIngressRecord(shopRecord(), twoClusters(), input),
    );
  });
});

describe('health: IngressDNSRecord and the readiness of the Ingress\'s backends', () => {
  // member2's Ingress routes to Services app and static of its namespace.
  const backed = (backendEndpoints?: { service: string; ready: number }[]) => [
    shopCluster('member1', '127.0.0.11'),
    shopCluster('member2', '127.0.0.12', {
      ingresses: [{ ...ingress('shop', [HOST], [ip('127.0.0.12')]), backends: ['app', 'static'], ...(backendEndpoints ? { backendEndpoints } : {}) }],
    }),
  ];
  const published = [a(HOST, ['127.0.0.11', '127.0.0.12'])];

  it('takes the address out when every backend Service has no ready endpoint, and says why', () => {
    const d = desiredForIngressRecord(shopRecord(), backed([{ service: 'app', ready: 0 }, { service: 'static', ready: 0 }]), { probes: probes({}), published });
    expect(d.endpoints).to.deep.equal([a(HOST, ['127.0.0.11'])]);
    expect(d.ready.message).to.contain(`member2: Ingress ${NAMESPACE}/shop: backend Services app, static have no ready endpoints`);
    expect(d.health?.targets?.find((t) => t.target === '127.0.0.12')).to.include({ healthy: false, published: false });
  });

  it('keeps it while one backend still has a ready endpoint', () => {
    const d = desiredForIngressRecord(shopRecord(), backed([{ service: 'app', ready: 0 }, { service: 'static', ready: 2 }]), { probes: probes({}), published });
    expect(d.endpoints).to.deep.equal(published);
  });

  it('assumes nothing about a backend it cannot tell about (no EndpointSlice seen)', () => {
    expect(desiredForIngressRecord(shopRecord(), backed([{ service: 'app', ready: 0 }]), { probes: probes({}), published }).endpoints).to.deep.equal(published);
    expect(desiredForIngressRecord(shopRecord(), backed(), { probes: probes({}), published }).endpoints).to.deep.equal(published);
  });

  it('lets it return only when readiness and probes agree', () => {
    const none = [{ service: 'app', ready: 0 }, { service: 'static', ready: 0 }];
    const some = [{ service: 'app', ready: 1 }, { service: 'static', ready: 0 }];
    const at = (backends: typeof none, probe: ProbeHealth) =>
      desiredForIngressRecord(shopRecord(), backed(backends), { probes: probes({ '127.0.0.12': probe }), published }).endpoints;
    expect(at(none, up(T1)), 'probes pass, no backend ready').to.deep.equal([a(HOST, ['127.0.0.11'])]);
    expect(at(some, down()), 'a backend ready, probes failing').to.deep.equal([a(HOST, ['127.0.0.11'])]);
    expect(at(some, up(T1)), 'both agree').to.deep.equal(published);
  });

  it('fails open, like any other cause, when no address of the host is left', () => {
    const d = desiredForIngressRecord(shopRecord(), backed([{ service: 'app', ready: 0 }, { service: 'static', ready: 0 }]), {
      probes: probes({ '127.0.0.11': down() }),
      published,
    });
    expect(d.endpoints).to.have.length(1);
    expect(d.ready.reason).to.equal('FailOpen');
  });
});

describe('health: ServiceDNSRecord with a health input', () => {
  const PREFIX = `nginx.${NAMESPACE}.galactic.svc`;
  const GLOBAL = `${PREFIX}.example.com`;
  const regional = (region: string) => `${PREFIX}.${region}.example.com`;
  const zonal = (zone: string, region: string) => `${PREFIX}.${zone}.${region}.example.com`;
  const DOMAIN = domainObject('example.com');
  // Readiness-driven names publish with the health-checked TTL (30 s) unless recordTTL is set.
  const a = (dnsName: string, targets: string[]): Endpoint => ({ dnsName, targets, recordType: 'A', recordTTL: 30 });
  const cname = (dnsName: string, target: string): Endpoint => ({ dnsName, targets: [target], recordType: 'CNAME', recordTTL: 30 });
  const record = (spec: Partial<ServiceDNSRecord['spec']> = {}) => serviceRecord('nginx', spec);
  const svcCluster = (name: string, address: string, zone: string, readyEndpoints = 1) =>
    online(name, { region: 'eu', zones: [zone], stateSince: T0, services: [lbService('nginx', [ip(address)], { readyEndpoints })] });
  // Two zones of one region, one cluster each.
  const clusters = () => [svcCluster('c1', '127.0.0.21', 'eu-1a'), svcCluster('c2', '127.0.0.22', 'eu-1b')];
  const healthyOutput = () => desiredForServiceRecord(record(), DOMAIN, clusters()).endpoints;
  const byName = (endpoints: Endpoint[], name: string) => endpoints.filter((e) => e.dnsName === name);

  it('region-preferred: a zone whose only target fails answers with its region\'s targets (same record type, no CNAME flip)', () => {
    const d = desiredForServiceRecord(record({ strategy: 'region-preferred' }), DOMAIN, clusters(), {
      probes: probes({ '127.0.0.21': down() }),
      published: healthyOutput(),
    });
    expect(byName(d.endpoints, zonal('eu-1a', 'eu'))).to.deep.equal([a(zonal('eu-1a', 'eu'), ['127.0.0.22'])]);
    expect(byName(d.endpoints, regional('eu'))).to.deep.equal([a(regional('eu'), ['127.0.0.22'])]);
    expect(byName(d.endpoints, GLOBAL)).to.deep.equal([a(GLOBAL, ['127.0.0.22'])]);
    expect(d.ready.message).to.contain(`${zonal('eu-1a', 'eu')}: every target is unhealthy, answering with the targets of ${regional('eu')}`);
  });

  it('region-preferred: a region with no healthy target answers with the global name\'s; only global fails open', () => {
    const two = [...clusters(), online('c3', { region: 'us', zones: ['us-1a'], stateSince: T0, services: [lbService('nginx', [ip('127.0.0.23')])] })];
    const d = desiredForServiceRecord(record({ strategy: 'region-preferred' }), DOMAIN, two, {
      probes: probes({ '127.0.0.21': down(), '127.0.0.22': down() }),
      published: desiredForServiceRecord(record(), DOMAIN, two).endpoints,
    });
    expect(byName(d.endpoints, GLOBAL)).to.deep.equal([a(GLOBAL, ['127.0.0.23'])]);
    expect(byName(d.endpoints, regional('eu'))).to.deep.equal([a(regional('eu'), ['127.0.0.23'])]);
    expect(byName(d.endpoints, zonal('eu-1a', 'eu'))).to.deep.equal([a(zonal('eu-1a', 'eu'), ['127.0.0.23'])]);
    expect(d.health?.failOpen).to.equal(undefined);
    const allDown = desiredForServiceRecord(record({ strategy: 'region-preferred' }), DOMAIN, clusters(), {
      probes: probes({ '127.0.0.21': down(), '127.0.0.22': down() }),
      published: healthyOutput(),
    });
    expect(byName(allDown.endpoints, GLOBAL)).to.deep.equal([a(GLOBAL, ['127.0.0.21', '127.0.0.22'])]);
    expect(byName(allDown.endpoints, regional('eu'))).to.deep.equal([a(regional('eu'), ['127.0.0.21', '127.0.0.22'])]);
    expect(allDown.health?.failOpen).to.deep.equal([GLOBAL]);
  });

  it('keeps KubeFed\'s CNAME when a zone has no address at all (presence, not health)', () => {
    const noAddress = online('c2', { region: 'eu', zones: ['eu-1b'], services: [lbService('nginx', [])] });
    const d = desiredForServiceRecord(record({ strategy: 'region-preferred' }), DOMAIN, [clusters()[0]!, noAddress], { probes: probes({}) });
    expect(byName(d.endpoints, zonal('eu-1b', 'eu'))).to.deep.equal([cname(zonal('eu-1b', 'eu'), regional('eu'))]);
  });

  it('keeps the CNAME for an offline zone when no health input is given (behaviour before health checks)', () => {
    const d = desiredForServiceRecord(record(), DOMAIN, [clusters()[0]!, { ...clusters()[1]!, state: 'offline' }]);
    expect(byName(d.endpoints, zonal('eu-1b', 'eu'))).to.deep.equal([cname(zonal('eu-1b', 'eu'), regional('eu'))]);
  });

  it('roundRobin: a zone whose targets all fail falls back to the level up while that has a healthy target (no fail-open)', () => {
    const d = desiredForServiceRecord(record(), DOMAIN, clusters(), {
      probes: probes({ '127.0.0.21': down() }),
      published: healthyOutput(),
    });
    expect(byName(d.endpoints, zonal('eu-1a', 'eu'))).to.deep.equal([a(zonal('eu-1a', 'eu'), ['127.0.0.22'])]);
    expect(byName(d.endpoints, regional('eu'))).to.deep.equal([a(regional('eu'), ['127.0.0.22'])]);
    expect(byName(d.endpoints, GLOBAL)).to.deep.equal([a(GLOBAL, ['127.0.0.22'])]);
    expect(d.health?.failOpen).to.equal(undefined);
    expect(d.ready.reason).to.equal('Published');
    expect(d.ready.message).to.contain(`${zonal('eu-1a', 'eu')}: every target is unhealthy, answering with the targets of ${regional('eu')}`);
  });

  it('roundRobin: with no healthy target at any level, each name keeps its own set (fail-open per name)', () => {
    const d = desiredForServiceRecord(record(), DOMAIN, clusters(), {
      probes: probes({ '127.0.0.21': down(), '127.0.0.22': down() }),
      published: healthyOutput(),
    });
    expect(byName(d.endpoints, zonal('eu-1a', 'eu'))).to.deep.equal([a(zonal('eu-1a', 'eu'), ['127.0.0.21'])]);
    expect(byName(d.endpoints, zonal('eu-1b', 'eu'))).to.deep.equal([a(zonal('eu-1b', 'eu'), ['127.0.0.22'])]);
    expect(byName(d.endpoints, GLOBAL)).to.deep.equal([a(GLOBAL, ['127.0.0.21', '127.0.0.22'])]);
    expect(d.health?.failOpen).to.deep.equal([GLOBAL, regional('eu'), zonal('eu-1a', 'eu'), zonal('eu-1b', 'eu')].sort());
    expect(d.ready.reason).to.equal('FailOpen');
  });

  it('roundRobin without fail-open falls back to the level up like region-preferred', () => {
    const d = desiredForServiceRecord(record(), DOMAIN, clusters(), {
      probes: probes({ '127.0.0.21': down() }),
      published: healthyOutput(),
      failOpen: false,
    });
    expect(byName(d.endpoints, zonal('eu-1a', 'eu'))).to.deep.equal([a(zonal('eu-1a', 'eu'), ['127.0.0.22'])]);
  });

  it('reports passive readiness (no ready endpoints) as cluster health, and the target as unhealthy', () => {
    const d = desiredForServiceRecord(record(), DOMAIN, [svcCluster('c1', '127.0.0.21', 'eu-1a', 0), svcCluster('c2', '127.0.0.22', 'eu-1b')], {
      published: healthyOutput(),
    });
    expect(byName(d.endpoints, GLOBAL)).to.deep.equal([a(GLOBAL, ['127.0.0.22'])]);
    // KubeFed's seed 004: the member with no ready endpoints leaves its zonal and regional names too.
    expect(byName(d.endpoints, zonal('eu-1a', 'eu'))).to.deep.equal([a(zonal('eu-1a', 'eu'), ['127.0.0.22'])]);
    expect(byName(d.endpoints, regional('eu'))).to.deep.equal([a(regional('eu'), ['127.0.0.22'])]);
    expect(d.ready.reason).to.equal('Published');
    expect(d.health?.clusters?.[0]).to.deep.equal({
      cluster: 'c1',
      healthy: false,
      lastError: `Service ${NAMESPACE}/nginx has no ready endpoints`,
    });
    expect(d.health?.targets?.[0]).to.include({ target: '127.0.0.21', healthy: false, published: false });
  });

  describe('readiness and probes together', () => {
    // c1's Service in zone eu-1a, c2's in eu-1b; healthy output published before each step.
    const step = (ready1: number, verdict1: ProbeHealth | undefined) =>
      desiredForServiceRecord(
        record({ healthCheck: { protocol: 'tcp', port: 5432, intervalSeconds: 1, failureThreshold: 3 } }),
        DOMAIN,
        [svcCluster('c1', '127.0.0.21', 'eu-1a', ready1), svcCluster('c2', '127.0.0.22', 'eu-1b')],
        { probes: probes(verdict1 === undefined ? {} : { '127.0.0.21': verdict1 }), published: healthyOutput() },
      );

    it('takes the address out as soon as its Service has no ready endpoint, while its probes still pass', () => {
      const d = step(0, up());
      expect(byName(d.endpoints, GLOBAL)[0]?.targets).to.deep.equal(['127.0.0.22']);
      expect(d.health?.targets?.find((t) => t.target === '127.0.0.21')).to.include({ healthy: false, published: false });
    });

    it('takes the address out when its probes fail, while its Service still has ready endpoints', () => {
      const d = step(1, down());
      expect(byName(d.endpoints, GLOBAL)[0]?.targets).to.deep.equal(['127.0.0.22']);
      expect(d.ready.message).to.contain('c1: 127.0.0.21 failing health checks');
    });

    it('keeps it out when readiness is back but the probes still fail (both must agree before it returns)', () => {
      const d = step(1, down());
      expect(byName(d.endpoints, GLOBAL)[0]?.targets).to.deep.equal(['127.0.0.22']);
      expect(byName(d.endpoints, zonal('eu-1a', 'eu'))[0]?.targets, 'its zone answers with the region').to.deep.equal(['127.0.0.22']);
    });

    it('keeps it out when the probes pass again but the Service still has no ready endpoint', () => {
      const d = step(0, up(T1));
      expect(byName(d.endpoints, GLOBAL)[0]?.targets).to.deep.equal(['127.0.0.22']);
    });

    it('brings it back once both agree', () => {
      expect(byName(step(1, up(T1)).endpoints, GLOBAL)[0]?.targets).to.deep.equal(['127.0.0.21', '127.0.0.22']);
    });

    it('fails open, not empty, when readiness and probes together leave no healthy target', () => {
      const d = desiredForServiceRecord(
        record({ healthCheck: { protocol: 'tcp', port: 5432 } }),
        DOMAIN,
        [svcCluster('c1', '127.0.0.21', 'eu-1a', 0), svcCluster('c2', '127.0.0.22', 'eu-1b')],
        { probes: probes({ '127.0.0.22': down() }), published: healthyOutput() },
      );
      expect(byName(d.endpoints, GLOBAL)[0]?.targets).to.not.be.empty;
      expect(d.ready.reason).to.equal('FailOpen');
    });
  });

  it('failover across clusters on the global name', () => {
    const d = desiredForServiceRecord(record({ strategy: 'failover', failoverPriority: ['c2'] }), DOMAIN, clusters(), { probes: probes({}) });
    expect(byName(d.endpoints, GLOBAL)).to.deep.equal([a(GLOBAL, ['127.0.0.22'])]);
    const failed = desiredForServiceRecord(record({ strategy: 'failover', failoverPriority: ['c2'] }), DOMAIN, clusters(), {
      probes: probes({ '127.0.0.22': down() }),
      published: d.endpoints,
    });
    expect(byName(failed.endpoints, GLOBAL)).to.deep.equal([a(GLOBAL, ['127.0.0.21'])]);
  });

  it('probes every Service address with the global name as the default Host header', () => {
    const d = desiredForServiceRecord(record(), DOMAIN, [...clusters(), offline('c3', { services: [lbService('nginx', [ip('127.0.0.23')])] })], {});
    expect(d.probeTargets).to.deep.equal([
      { address: '127.0.0.21', cluster: 'c1', host: GLOBAL, names: [GLOBAL] },
      { address: '127.0.0.22', cluster: 'c2', host: GLOBAL, names: [GLOBAL] },
      { address: '127.0.0.23', cluster: 'c3', host: GLOBAL, names: [GLOBAL] },
    ]);
  });
});

describe('health: starting from what a record recorded (restart, new leader)', () => {
  it('reads probe verdicts from status.health, leaving out targets whose cluster was the cause', () => {
    const view = recordedVerdicts({
      clusters: [
        { cluster: 'member1', healthy: true, since: T0 },
        { cluster: 'member2', healthy: false, since: T1, lastError: 'offline' },
      ],
      targets: [
        { target: '127.0.0.11', cluster: 'member1', healthy: false, published: false, since: T1, lastError: 'connection refused' },
        { target: '127.0.0.12', cluster: 'member2', healthy: false, published: false, since: T1, lastError: 'offline' },
        { target: '127.0.0.13', cluster: 'member1', healthy: true, published: true, since: T0 },
      ],
    });
    expect(view.target('127.0.0.11')).to.deep.equal({ healthy: false, since: T1, lastError: 'connection refused' });
    expect(view.target('127.0.0.12')).to.equal(undefined);
    expect(view.target('127.0.0.13')).to.deep.equal({ healthy: true, since: T0 });
    expect(recordedVerdicts(undefined).target('127.0.0.11')).to.equal(undefined);
  });

  it('without a DNSEndpoint (--no-dnsendpoints, just restarted), fail-open keeps the set status.targets recorded', () => {
    // Offline without a time: verdict times say nothing, so the memory decides.
    const clusters = [shopCluster('member1', '127.0.0.11', { state: 'offline', stateSince: undefined }), shopCluster('member2', '127.0.0.12', { state: 'offline', stateSince: undefined })];
    const restarted = desiredForIngressRecord(shopRecord(), clusters, { published: [], recordedTargets: ['127.0.0.11'] });
    expect(restarted.endpoints).to.deep.equal([a(HOST, ['127.0.0.11'])]);
    expect(restarted.ready.message).to.contain('fail-open keeps publishing 127.0.0.11 (the set published now)');
    const forgetful = desiredForIngressRecord(shopRecord(), clusters, { published: [] });
    expect(forgetful.endpoints).to.deep.equal([a(HOST, ['127.0.0.11', '127.0.0.12'])]);
  });
});

describe('health: status', () => {
  it('sets status.health from a reconcile, and keeps the current one when there is none', () => {
    const health = { targets: [{ target: '127.0.0.11', cluster: 'a', healthy: true, published: true }] };
    expect(withHealthStatus({ targets: ['x'] }, health)).to.deep.equal({ targets: ['x'], health });
    expect(withHealthStatus({ targets: ['x'] }, undefined, { health })).to.deep.equal({ targets: ['x'], health });
    expect(withHealthStatus({ targets: ['x'] }, undefined)).to.deep.equal({ targets: ['x'] });
  });

  it('keeps the since already in status while a verdict stays the same (a restarted or new leader rewrites nothing)', () => {
    const before = {
      clusters: [{ cluster: 'a', healthy: true, since: '2026-11-21T01:00:00.000Z' }],
      targets: [
        { target: '127.0.0.11', cluster: 'a', healthy: true, published: true, since: '2026-11-21T01:00:00.000Z' },
        { target: '127.0.0.12', cluster: 'b', healthy: true, published: true, since: '2026-11-21T01:00:00.000Z' },
      ],
    };
    const now = {
      clusters: [{ cluster: 'a', healthy: true, since: '2026-11-21T02:00:00.000Z' }],
      targets: [
        { target: '127.0.0.11', cluster: 'a', healthy: true, published: true, since: '2026-11-21T02:00:00.000Z' },
        { target: '127.0.0.12', cluster: 'b', healthy: false, published: false, since: '2026-11-21T02:00:05.000Z', lastError: 'refused' },
      ],
    };
    const health = withHealthStatus({}, now, { health: before }).health;
    expect(health?.clusters?.[0]?.since).to.equal('2026-11-21T01:00:00.000Z');
    expect(health?.targets?.[0]?.since).to.equal('2026-11-21T01:00:00.000Z');
    expect(health?.targets?.[1], 'a changed verdict takes the new time').to.include({ healthy: false, since: '2026-11-21T02:00:05.000Z' });
  });
});

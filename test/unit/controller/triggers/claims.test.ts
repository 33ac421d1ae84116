// The claims index and the reconciler together: one owner per name across namespaces, the loser
// publishing its other names, a prompt hand-over when the holder lets go.
import { expect } from 'chai';
import winston from 'winston';
import type { IngressDNSRecord } from '../../../../src/api/schema.js';
import { ClaimIndex } from '../../../../src/controller/triggers/claims.js';
import { Reconciler } from '../../../../src/controller/reconcile/reconciler.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import type { ClusterObservation } from '../../../../src/core/observation.js';
import { MemoryHost } from '../host/memory-host.js';
import type { ServiceDNSRecord } from '../../../../src/api/schema.js';
import { domainObject, ip, lbService, serviceRecord } from '../../core/fixtures.js';

const silent = winston.createLogger({ silent: true });
const victimKey: RecordKey = { kind: 'IngressDNSRecord', namespace: 'team-a', name: 'victim' };
const attackerKey: RecordKey = { kind: 'IngressDNSRecord', namespace: 'team-b', name: 'attacker' };

/** A record that claimed its hosts when it was created (status.claims as mcdns wrote it then). */
function record(key: RecordKey, hosts: string[], createdAt: string): IngressDNSRecord {
  return {
    apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
    kind: 'IngressDNSRecord',
    metadata: { name: key.name, namespace: key.namespace, uid: `uid-${key.name}`, generation: 1, creationTimestamp: createdAt },
    spec: { hosts },
    status: { claims: hosts.map((name) => ({ name, since: new Date(createdAt).toISOString() })) },
  };
}
function member(ingresses: { namespace: string; name: string; hosts: string[]; ip?: string }[]): ClusterObservation {
  return {
    cluster: 'member1',
    state: 'online',
    zones: [],
    ingresses: ingresses.map((i) => ({ namespace: i.namespace, name: i.name, hosts: i.hosts, loadBalancer: i.ip ? [{ ip: i.ip }] : [] })),
    services: [],
  };
}

function setup() {
  const host = new MemoryHost();
  host.records.set(keyOf(victimKey), record(victimKey, ['www.hj.test'], '2026-01-01T00:00:00Z'));
  host.records.set(keyOf(attackerKey), record(attackerKey, ['www.hj.test', 'attacker.hj.test'], '2026-01-02T00:00:00Z'));
  host.clusters = [
    member([
      { namespace: 'team-a', name: 'victim', hosts: ['www.hj.test'], ip: '192.0.2.1' },
      { namespace: 'team-b', name: 'attacker', hosts: ['www.hj.test', 'attacker.hj.test'], ip: '192.0.2.66' },
    ]),
  ];
  const claims = new ClaimIndex();
  const woken: string[] = [];
  claims.onChange((records) => woken.push(...records));
  const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => new Date('2026-11-21T00:00:00Z'), { claims });
  const names = (key: RecordKey) =>
    host.dnsEndpoint(key.namespace, `ingress-${key.name}`)?.spec.endpoints?.map((e) => `${e.dnsName} ${e.targets.join(',')}`) ?? [];
  const ready = (key: RecordKey) => host.record(key)?.status?.conditions?.find((c) => c.type === 'Ready');
  return { host, claims, woken, reconciler, names, ready };
}

describe('one owner per name', () => {
  it('keeps a contested name out of the younger record\'s DNSEndpoint, publishes its other names, and says who holds it', async () => {
    const { reconciler, names, ready, host } = setup();
    reconciler.seedClaims([victimKey, attackerKey]);
    await reconciler.reconcile(attackerKey);
    await reconciler.reconcile(victimKey);
    expect(names(attackerKey)).to.deep.equal(['attacker.hj.test 192.0.2.66']);
    expect(names(victimKey)).to.deep.equal(['www.hj.test 192.0.2.1']);
    expect(ready(attackerKey)).to.include({ status: 'False', reason: 'NameConflict' });
    expect(ready(attackerKey)?.message).to.match(/^www\.hj\.test is held by IngressDNSRecord team-a\/victim \(an older claim since 2026-01-01T00:00:00.000Z\): not published here; other names: /);
    expect(host.record(attackerKey)?.status?.targets, 'only what is published').to.deep.equal(['192.0.2.66']);
    expect(ready(victimKey)).to.include({ status: 'True', reason: 'Published' });
    expect(ready(victimKey)?.message).to.contain('www.hj.test is also claimed by IngressDNSRecord team-b/attacker: this record holds it (oldest claim)');
    expect(host.events).to.include('Warning NameConflict attacker');
  });

  it('holds the name for the older record even when the younger one is reconciled first (seeded from the caches)', async () => {
    const { reconciler, names } = setup();
    reconciler.seedClaims([attackerKey, victimKey]);
    await reconciler.reconcile(attackerKey);
    expect(names(attackerKey)).to.deep.equal(['attacker.hj.test 192.0.2.66']);
  });

  it('keeps the name with the holder while its Ingress has no address', async () => {
    const { reconciler, names, host } = setup();
    reconciler.seedClaims([victimKey, attackerKey]);
    host.clusters = [
      member([
        { namespace: 'team-a', name: 'victim', hosts: ['www.hj.test'] },
        { namespace: 'team-b', name: 'attacker', hosts: ['www.hj.test', 'attacker.hj.test'], ip: '192.0.2.66' },
      ]),
    ];
    await reconciler.reconcile(victimKey);
    await reconciler.reconcile(attackerKey);
    expect(names(victimKey)).to.deep.equal([]);
    expect(names(attackerKey)).to.deep.equal(['attacker.hj.test 192.0.2.66']);
  });

  it('wakes the next claimant as soon as the holder lets go, which then publishes the name', async () => {
    const { reconciler, names, ready, host, woken } = setup();
    reconciler.seedClaims([victimKey, attackerKey]);
    await reconciler.reconcile(victimKey);
    await reconciler.reconcile(attackerKey);
    woken.length = 0;
    host.records.delete(keyOf(victimKey));
    await reconciler.reconcile(victimKey);
    expect(woken).to.deep.equal([keyOf(attackerKey)]);
    await reconciler.reconcile(attackerKey);
    expect(names(attackerKey)).to.deep.equal(['attacker.hj.test 192.0.2.66', 'www.hj.test 192.0.2.66']);
    expect(ready(attackerKey)).to.include({ status: 'True', reason: 'Published' });
  });

  it('wakes the holder when a new claimant arrives, so its status can name it', async () => {
    const { reconciler, claims, woken } = setup();
    await reconciler.reconcile(victimKey);
    expect(woken).to.deep.equal([]);
    await reconciler.reconcile(attackerKey);
    expect(woken).to.deep.equal([keyOf(victimKey)]);
    expect(claims.claimsOn('www.hj.test').map((c) => c.by.name).sort()).to.deep.equal(['attacker', 'victim']);
    // A steady state wakes nobody.
    woken.length = 0;
    await reconciler.reconcile(attackerKey);
    await reconciler.reconcile(victimKey);
    expect(woken).to.deep.equal([]);
  });

  it('frees a name the holder drops from its hosts', async () => {
    const { reconciler, host, woken, names } = setup();
    reconciler.seedClaims([victimKey, attackerKey]);
    await reconciler.reconcile(victimKey);
    host.records.set(keyOf(victimKey), record(victimKey, ['other.hj.test'], '2026-01-01T00:00:00Z'));
    await reconciler.reconcile(victimKey);
    expect(woken).to.include(keyOf(attackerKey));
    await reconciler.reconcile(attackerKey);
    expect(names(attackerKey)).to.include('www.hj.test 192.0.2.66');
  });

  it('publishes nothing for a name outside the DNSNamePolicies, claims nothing with it, and still publishes the allowed names', async () => {
    const { host, claims, names, ready } = setup();
    const namePolicy = {
      decide: (namespace: string, ns: Iterable<string>) => {
        const all = [...ns];
        const ok = (n: string) => namespace === 'team-b' ? n.endsWith('attacker.hj.test') : true;
        return { allowed: all.filter(ok), denied: all.filter((n) => !ok(n)).map((n) => ({ name: n, why: `${n} is not allowed in namespace ${namespace}` })) };
      },
    };
    const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => new Date('2026-11-21T00:00:00Z'), { claims, namePolicy });
    host.records.set(keyOf(victimKey), record(victimKey, ['other.hj.test'], '2026-01-01T00:00:00Z'));
    await reconciler.reconcile(attackerKey);
    expect(names(attackerKey)).to.deep.equal(['attacker.hj.test 192.0.2.66']);
    expect(ready(attackerKey)).to.include({ status: 'False', reason: 'NameNotAllowed' });
    expect(ready(attackerKey)?.message).to.match(/^www\.hj\.test is not allowed in namespace team-b; other names: published 1 name, 1 target from cluster member1$/);
    expect(claims.claimsOn('www.hj.test')).to.deep.equal([]);
    expect(host.events).to.include('Warning NameNotAllowed attacker');
  });

  it('applies to names reached through a ServiceDNSRecord\'s dnsPrefix, and to an Ingress host equal to it', async () => {
    const host = new MemoryHost();
    host.domains.set('kube-federation-system/galactic', domainObject('example.org'));
    const older = { kind: 'ServiceDNSRecord' as const, namespace: 'team-a', name: 'api' };
    const younger = { kind: 'ServiceDNSRecord' as const, namespace: 'team-b', name: 'api' };
    const ingressKey = { kind: 'IngressDNSRecord' as const, namespace: 'team-c', name: 'www' };
    // Reconciled by an earlier mcdns (a Ready condition, no status.claims): claims date from creation.
    const at = (r: ServiceDNSRecord, createdAt: string): ServiceDNSRecord => ({
      ...r,
      metadata: { ...r.metadata, creationTimestamp: createdAt },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Published', message: '', lastTransitionTime: createdAt }] },
    });
    host.records.set(keyOf(older), at(serviceRecord('api', { dnsPrefix: 'www' }, 'team-a'), '2026-01-01T00:00:00Z'));
    host.records.set(keyOf(younger), at(serviceRecord('api', { dnsPrefix: 'www' }, 'team-b'), '2026-01-02T00:00:00Z'));
    host.records.set(keyOf(ingressKey), record(ingressKey, ['www.example.org'], '2026-01-03T00:00:00Z'));
    host.clusters = [
      {
        ...member([{ namespace: 'team-c', name: 'www', hosts: ['www.example.org'], ip: '192.0.2.3' }]),
        services: [lbService('api', [ip('192.0.2.1')], { namespace: 'team-a' }), lbService('api', [ip('192.0.2.2')], { namespace: 'team-b' })],
      },
    ];
    const claims = new ClaimIndex();
    const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => new Date('2026-11-21T00:00:00Z'), { claims });
    reconciler.seedClaims([older, younger, ingressKey]);
    for (const k of [ingressKey, younger, older]) await reconciler.reconcile(k);
    const names = (k: RecordKey, prefix: string) => host.dnsEndpoint(k.namespace, `${prefix}-${k.name}`)?.spec.endpoints?.map((e) => e.dnsName).sort();
    expect(names(older, 'service')).to.include('www.example.org');
    expect(names(younger, 'service')).to.not.include('www.example.org');
    expect(names(younger, 'service')).to.include('api.team-b.galactic.svc.example.org');
    expect(names(ingressKey, 'ingress')).to.deep.equal([]);
    expect(host.record(younger)?.status?.conditions?.[0]?.message).to.contain('www.example.org is held by ServiceDNSRecord team-a/api');
    expect(host.record(ingressKey)?.status?.conditions?.[0]?.reason).to.equal('NameConflict');
  });
});

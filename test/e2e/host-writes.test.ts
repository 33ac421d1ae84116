// The reconciler's writes against a real API server: a status written from a stale cache is
// refused with 409 Conflict (optimistic concurrency through resourceVersion), and the retry,
// reading the fresh object, converges without losing the other writer's change. The finalizer
// is written from a cache that keeps no last-applied-configuration, without deleting it.
import { expect } from 'chai';
import winston from 'winston';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { DNSEndpoint, DNSRecord, Domain, IngressDNSRecord } from '../../src/api/schema.js';
import { ApiHostWrites } from '../../src/controller/host/host-writes.js';
import { Reconciler } from '../../src/controller/reconcile/reconciler.js';
import { type HostView } from '../../src/controller/host/ports.js';
import { keyOf, type RecordKey } from '../../src/core/record-key.js';
import { statusCodeOf } from '../../src/errors.js';
import { LAST_APPLIED_ANNOTATION, stripManagedFields } from '../../src/kube/slim.js';
import { startBed, type Bed } from '../env/bed.js';
import { ensureNamespace, installMcdnsCrds } from '../env/workloads.js';
import { tearDownSuite } from '../env/teardown.js';

const key: RecordKey = { kind: 'IngressDNSRecord', namespace: 'conflicts', name: 'web' };
const group = { group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: key.namespace, plural: 'ingressdnsrecords' };

describe('end to end: host writes on a real API server', function () {
  this.timeout(120_000);
  let bed: Bed;
  before(async () => {
    bed = await startBed({ members: [], powerdns: false });
    await installMcdnsCrds((m) => bed.apply('host', m));
    await ensureNamespace(bed.kubeConfig('host'), key.namespace);
  });
  tearDownSuite(() => ({ bed }));

  it('refuses a status written from a stale cache with 409, and the retry from fresh state converges', async () => {
    const api = bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
    const created = (await api.createNamespacedCustomObject({
      ...group,
      body: { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', metadata: { name: key.name, namespace: key.namespace }, spec: { hosts: ['web.example.org'] } },
    })) as IngressDNSRecord;
    // Someone else changes the record after our cache saw it.
    await api.replaceNamespacedCustomObject({ ...group, name: key.name, body: { ...created, spec: { hosts: ['web.example.org'], recordTTL: 60 } } });

    let cached: DNSRecord = created;
    const endpoints = new Map<string, DNSEndpoint>();
    const view: HostView = {
      record: () => cached,
      domain: (): Domain | undefined => undefined,
      domainNamespaces: (ns) => [ns],
      dnsEndpoint: (ns, name) => endpoints.get(`${ns}/${name}`),
      members: () => [],
    };
    const writes = new ApiHostWrites(bed.kubeConfig('host'), 'externaldns.k8s.io');
    const reconciler = new Reconciler(view, writes, 'externaldns.k8s.io', winston.createLogger({ silent: true }));

    const stale = await reconciler.reconcile(key).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(statusCodeOf(stale), `reconcile of ${keyOf(key)} from a stale cache`).to.equal(409);

    cached = (await api.getNamespacedCustomObject({ ...group, name: key.name })) as IngressDNSRecord;
    const live = (await api.getNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: key.namespace, plural: 'dnsendpoints', name: 'ingress-web' })) as DNSEndpoint;
    endpoints.set(`${key.namespace}/ingress-web`, live);
    const result = await reconciler.reconcile(key);
    expect(result.status).to.equal('updated');
    const after = (await api.getNamespacedCustomObject({ ...group, name: key.name })) as IngressDNSRecord;
    expect(after.spec.recordTTL, "the other writer's change survives").to.equal(60);
    expect(after.status?.conditions?.[0]).to.include({ type: 'Ready', status: 'False', reason: 'NoTargets', observedGeneration: 2 });
  });

  it('adds the finalizer from a stripped cache without deleting what the cache left out, and refuses a stale one with 409', async () => {
    const api = bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
    const applied = { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', metadata: { name: 'applied', namespace: key.namespace }, spec: { hosts: ['applied.example.org'] } };
    const created = (await api.createNamespacedCustomObject({
      ...group,
      // As `kubectl apply` leaves it: the whole object in an annotation, beside the user's own.
      body: { ...applied, metadata: { ...applied.metadata, annotations: { [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied), team: 'shop' } } },
    })) as IngressDNSRecord;
    const cached = stripManagedFields(created);
    expect(cached.metadata.annotations, 'what the cache keeps').to.deep.equal({ team: 'shop' });
    expect(cached.metadata).to.not.have.property('managedFields');

    const writes = new ApiHostWrites(bed.kubeConfig('host'), 'externaldns.k8s.io');
    const made = await writes.updateFinalizers('IngressDNSRecord', cached, ['multiclusterdns.kubefed.io/cleanup']);
    const after = (await api.getNamespacedCustomObject({ ...group, name: 'applied' })) as IngressDNSRecord;
    expect(after.metadata.finalizers).to.deep.equal(['multiclusterdns.kubefed.io/cleanup']);
    expect(after.metadata.annotations).to.deep.equal({ [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied), team: 'shop' });
    expect(made.metadata.resourceVersion).to.equal(after.metadata.resourceVersion);

    const stale = await writes.updateFinalizers('IngressDNSRecord', cached, []).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(statusCodeOf(stale), 'a finalizer change from a stale cache').to.equal(409);
    const unchanged = (await api.getNamespacedCustomObject({ ...group, name: 'applied' })) as IngressDNSRecord;
    expect(unchanged.metadata.finalizers).to.deep.equal(['multiclusterdns.kubefed.io/cleanup']);
  });
});

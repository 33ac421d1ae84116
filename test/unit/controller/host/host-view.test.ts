// The host view on a host whose RouteDNSRecord CRD is not installed (an upgrade that kept the
// older CRDs, as `helm upgrade` does): mcdns starts all the same, with no route records, and
// picks them up once the CRD is there.
import { expect } from 'chai';
import { ApiHostView, type HostChange } from '../../../../src/controller/host/host-view.js';
import { FakeApiServer, eventually } from '../../kube/fake-apiserver.js';
import { capturingLogger } from '../../kube/capture-log.js';

const GROUP = '/apis/multiclusterdns.kubefed.io/v1alpha1';

describe('controller/host-view: a host without the RouteDNSRecord CRD', () => {
  let server: FakeApiServer;
  let view: ApiHostView | undefined;

  beforeEach(async () => {
    server = await FakeApiServer.start({ token: 't' });
  });
  afterEach(async () => {
    await view?.stop();
    await server.stop();
  });

  it('counts the missing kind as synced (no such record can exist), and sees route records once the CRD is installed', async () => {
    server.failPaths.set(`${GROUP}/routednsrecords`, 404);
    server.put(`${GROUP}/ingressdnsrecords`, { metadata: { name: 'web', namespace: 'shop' }, spec: { hosts: ['www.example.org'] } });
    const changes: HostChange[] = [];
    let recordsKnown = 0;
    view = new ApiHostView(server.kubeConfig('t'), {
      sharedDomainNamespace: 'kube-federation-system',
      dnsEndpointGroup: 'externaldns.k8s.io',
      logger: capturingLogger('error').logger,
      members: () => [],
      onChange: (c) => changes.push(c),
      onRecordsSynced: () => recordsKnown++,
    });
    await eventually(() => view!.synced(), 5000, 'host caches synced without the route CRD');
    expect(view.recordsSynced()).to.equal(true);
    expect(recordsKnown, 'the members are told the records are known').to.be.greaterThan(0);
    expect(view.unsynced()).to.deep.equal([]);
    expect(view.records('RouteDNSRecord')).to.deep.equal([]);
    expect(view.records('IngressDNSRecord')).to.deep.equal([{ kind: 'IngressDNSRecord', namespace: 'shop', name: 'web' }]);

    server.failPaths.delete(`${GROUP}/routednsrecords`);
    server.put(`${GROUP}/routednsrecords`, { metadata: { name: 'shop', namespace: 'shop' }, spec: { routeRef: { kind: 'HTTPRoute' } } });
    await eventually(() => view!.records('RouteDNSRecord').length === 1, 15_000, 'the route record');
    expect(view.routeRecordsFor('HTTPRoute', 'shop', 'shop')).to.deep.equal([{ kind: 'RouteDNSRecord', namespace: 'shop', name: 'shop' }]);
    expect(changes.some((c) => c.kind === 'RouteDNSRecord' && c.namespace === 'shop' && c.name === 'shop'), 'a change that queues the record').to.equal(true);
  });
});

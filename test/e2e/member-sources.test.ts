// A member source that cannot be read is reported and never holds readiness hostage, on real
// API servers: mcdns asked for KubeFedCluster objects (--kubefed-clusters) on a host that has
// neither their CRD nor their namespace, beside members from a kubeconfig (--members-kubeconfig,
// all its contexts). It becomes ready and publishes the kubeconfig's members at once, and says
// what it cannot read: one log line and one Event on its pod per change, the gauge
// mcdns_member_source_available, and a line of /readyz. When the CRD appears the reason becomes
// the missing namespace; when the namespace appears too, the source is available again (a Normal
// Event) and a KubeFedCluster joined there becomes a member without a restart.
import { expect } from 'chai';
import * as path from 'node:path';
import { CoreV1Api, CustomObjectsApi, type CoreV1Event, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { DNSEndpoint } from '../../src/api/schema.js';
import { SourceEventReason } from '../../src/controller/events/member-sources.js';
import { startBed, type Bed } from '../env/bed.js';
import { writeKubeconfig } from '../env/kube.js';
import { ALLOW_LOOPBACK_PROBES, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { makeTempDir } from '../env/process.js';
import { ensureNamespace, eventually, installMcdnsCrds, joinKubeFedCluster, putIngress } from '../env/workloads.js';
import { sample } from '../unit/metrics/metrics-text.js';

const KUBEFED_CRD = 'manifests/crds/kubefed/kubefedclusters.core.kubefed.io.yaml';

describe('member sources: one that cannot be read is reported, never awaited', function () {
  this.timeout(240_000);
  let bed: Bed;
  let admin: KubeConfig;
  let mcdns: McdnsHandle | undefined;
  let metrics = '';
  let podUid = '';

  const readyz = async () => {
    const r = await fetch(`http://${metrics}/readyz`);
    return { status: r.status, body: await r.text() };
  };
  const available = async () => sample(await (await fetch(`http://${metrics}/metrics`)).text(), 'mcdns_member_source_available', { source: 'kubefedclusters' });
  const podEvents = async () =>
    (await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'mcdns-system' })).items.filter((e: CoreV1Event) => e.involvedObject.kind === 'Pod' && e.involvedObject.name === 'mcdns-0');
  const endpointTargets = async (ns: string, name: string) => {
    const ep = (await admin
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: ns, plural: 'dnsendpoints', name })
      .catch(() => undefined)) as DNSEndpoint | undefined;
    return (ep?.spec.endpoints ?? []).flatMap((e) => e.targets).sort().join(',');
  };

  before(async () => {
    bed = await startBed({ members: ['member1', 'member2'], powerdns: false, externalDns: false });
    admin = bed.kubeConfig('host');
    // mcdns's CRDs, but not KubeFed's: the host never had KubeFed.
    await installMcdnsCrds(async (yaml) => (yaml.includes('kubefedclusters.core.kubefed.io') ? undefined : bed.apply('host', yaml)));
    await ensureNamespace(admin, 'mcdns-system');
    // The pod mcdns runs as (Events go to it): an object with a name and a uid, as the downward API gives them.
    const pod = await admin.makeApiClient(CoreV1Api).createNamespacedPod({
      namespace: 'mcdns-system',
      body: { metadata: { name: 'mcdns-0' }, spec: { containers: [{ name: 'mcdns', image: 'ghcr.io/mcdns/mcdns:0.1.0' }] } },
    });
    podUid = pod.metadata!.uid!;
    // A kubeconfig of the members alone (member1); its contexts are all members.
    const members = path.join(makeTempDir('members'), 'kubeconfig');
    const m1 = bed.apiServer('member1');
    writeKubeconfig(members, [{ name: 'member1', server: m1.url, token: m1.token, caPem: m1.caPem }], 'member1');
    metrics = `127.0.0.1:${await freePort()}`;
    mcdns = startMcdns(
      [`--kubeconfig=${bed.kubeconfigPath}`, '--host-context=host', `--members-kubeconfig=${members}`, '--kubefed-clusters', `--metrics-address=${metrics}`, ALLOW_LOOPBACK_PROBES],
      { MCDNS_POD_NAME: 'mcdns-0', MCDNS_POD_NAMESPACE: 'mcdns-system', MCDNS_POD_UID: podUid },
    );
  });

  after(async function () {
    if (this.currentTest?.state === 'failed' || process.env.MCDNS_E2E_LOGS) console.log(mcdns?.logs());
    await mcdns?.stop();
    await bed?.stop();
  });

  it('is ready without the KubeFedCluster CRD, says why on /readyz, in the metric, the log and an Event on its pod', async () => {
    const ready = await eventually('ready', readyz, (r) => r.status === 200, 60_000);
    expect(ready.body).to.equal('ok\nmember source kubefedclusters unavailable: the KubeFedCluster CRD (kubefedclusters.core.kubefed.io) is not installed\n');
    expect(await available()).to.equal(0);
    expect(sample(await (await fetch(`http://${metrics}/metrics`)).text(), 'mcdns_member_source_available', { source: 'kubeconfig' })).to.equal(1);
    const events = await eventually('the Event on the pod', podEvents, (es) => es.some((e) => e.reason === SourceEventReason.Unavailable), 30_000);
    const ev = events.find((e) => e.reason === SourceEventReason.Unavailable)!;
    expect(ev.reason).to.equal('MemberSourceUnavailable');
    expect(ev.type).to.equal('Warning');
    expect(ev.involvedObject.uid, 'kubectl describe pod finds it by uid').to.equal(podUid);
    expect(ev.message).to.equal(
      'member clusters from KubeFedCluster objects cannot be read: the KubeFedCluster CRD (kubefedclusters.core.kubefed.io) is not installed; members from the other sources are published',
    );
    expect(mcdns!.logs().split('\n').filter((l) => l.includes('"message":"member source unavailable"')).length, 'one log line per change').to.equal(1);
  });

  it('publishes the members of the kubeconfig meanwhile', async () => {
    await ensureNamespace(bed.kubeConfig('member1'), 'shop');
    await putIngress(bed.kubeConfig('member1'), 'shop', 'web', ['web.example.org'], ['127.0.0.11']);
    await ensureNamespace(admin, 'shop');
    await bed.apply('host', { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', metadata: { name: 'web', namespace: 'shop' }, spec: { hosts: ['web.example.org'] } } as KubernetesObject);
    await eventually('the DNSEndpoint', () => endpointTargets('shop', 'ingress-web'), (t) => t === '127.0.0.11', 60_000);
  });

  it('names the missing namespace once the CRD exists, and takes KubeFedClusters as members once it exists too', async () => {
    await bed.apply('host', KUBEFED_CRD);
    await eventually('the namespace named', readyz, (r) => r.body.includes('namespace kube-federation-system does not exist'), 90_000);
    expect((await readyz()).status).to.equal(200);
    await ensureNamespace(admin, 'kube-federation-system');
    await eventually('available', available, (v) => v === 1, 60_000);
    expect((await readyz()).body).to.equal('ok\n');
    await eventually('the Normal Event', podEvents, (es) => es.some((e) => e.reason === SourceEventReason.Available && e.type === 'Normal'), 30_000);
    // member2 joins as a KubeFedCluster: a member without a restart.
    const m2 = bed.apiServer('member2');
    await joinKubeFedCluster(admin, { name: 'member2', apiEndpoint: m2.url, caPem: m2.caPem, token: m2.token });
    await ensureNamespace(bed.kubeConfig('member2'), 'shop');
    await putIngress(bed.kubeConfig('member2'), 'shop', 'web', ['web.example.org'], ['127.0.0.12']);
    await eventually('both members in the DNSEndpoint', () => endpointTargets('shop', 'ingress-web'), (t) => t === '127.0.0.11,127.0.0.12', 60_000);
  });
});

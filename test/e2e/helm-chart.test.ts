// manifests/helm/mcdns on a real API server: `helm lint --strict`, `helm template` with every
// values file under ci/ applied with `kubectl apply --dry-run=server`, the default render compared
// object by object with `kubectl kustomize manifests/`, one `helm template` test per convention
// value (names, labels, security contexts, spreading, rollout, probes, the PodDisruptionBudget,
// the Lease, namespaced mode, provider credentials, the schema, the ServiceMonitor, the shared
// DNSEndpoint CRD), then `helm install` for real: the controller run with the installed
// Deployment's arguments as the chart's ServiceAccount with only the chart's RBAC (KubeFed
// members, token Secrets narrowed by name), the DNSEndpoint CRD created where missing and kept
// by `helm uninstall`, and a release with another name in another namespace, run by the sandbox
// kubelet, found by docs/runbooks.md's commands. (The default values on a fresh host, end to
// end: test/e2e/walkthrough.test.ts.)
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import * as path from 'node:path';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type V1ClusterRole,
  type V1CustomResourceDefinition,
  type V1Deployment,
  type V1Role,
  type V1Service,
} from '@kubernetes/client-node';
import type { DNSEndpoint } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { CHART, helm, helmTemplate, helmTemplateText, objectOf } from '../env/helm.js';
import { kubectl, parseYamlObjects, writeKubeconfig } from '../env/kube.js';
import { SandboxKubelet } from '../env/kubelet.js';
import { startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { makeTempDir } from '../env/process.js';
import { bins } from '../env/tools.js';
import { DocRunner, shellBlocks, toolDir } from '../env/walkthrough.js';
import { ensureNamespace, eventually, joinKubeFedCluster, putIngress, putNode } from '../env/workloads.js';
import { sample } from '../unit/metrics/metrics-text.js';

const CI_VALUES = readdirSync(`${CHART}/ci`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${CHART}/ci/${f}`);
// Labels Helm charts carry and kustomize's manifests do not (documented in docs/install.md).
const HELM_ONLY_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version'];
// Kinds of the Prometheus Operator: their CRDs are not in the bed (promtool checks the rules).
const OPERATOR_KINDS = ['ServiceMonitor', 'PrometheusRule'];
const DNSENDPOINT_CRD = 'dnsendpoints.externaldns.k8s.io';

/** A copy without the Helm-only labels, wherever they appear (labels, selectors, affinity). */
function withoutHelmLabels(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutHelmLabels);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !HELM_ONLY_LABELS.includes(k)).map(([k, v]) => [k, withoutHelmLabels(v)]));
  }
  return value;
}
const keyOf = (o: KubernetesObject): string => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const failure = (p: Promise<unknown>): Promise<string> => p.then(() => '', (e: Error) => e.message);
const deploymentOf = (objects: KubernetesObject[]) => objects.find((o) => o.kind === 'Deployment') as V1Deployment;
const containerOf = (objects: KubernetesObject[]) => deploymentOf(objects).spec!.template.spec!.containers[0]!;

describe('Helm chart on a real API server, and the controller running from its Deployment', function () {
  this.timeout(300_000);
  let bed: Bed;
  let admin: KubeConfig;
  let mcdns: McdnsHandle | undefined;
  const kubelets: SandboxKubelet[] = [];
  /** The sandbox's node for one namespace: runs the Deployments of mcdns there (test/env/kubelet.ts). */
  const kubeletFor = (namespace: string) => {
    const k = new SandboxKubelet({ admin, server: { url: bed.apiServer('host').url, caPem: bed.apiServer('host').caPem }, namespace }).start();
    kubelets.push(k);
    return k;
  };
  /** A members kubeconfig Secret for a release: member1, with its mcdns-member token. */
  const membersSecret = async (namespace: string, name: string) => {
    const dir = makeTempDir('members');
    const token = (await kubectl(bed.kubeconfigPath, ['create', 'token', 'mcdns-member', '-n', 'mcdns-system', '--duration=2h'], { context: 'member1' })).trim();
    writeKubeconfig(path.join(dir, 'kubeconfig'), [{ name: 'member1', server: bed.apiServer('member1').url, token, caPem: bed.apiServer('member1').caPem }], 'member1');
    await kubectl(bed.kubeconfigPath, ['-n', namespace, 'create', 'secret', 'generic', name, `--from-file=kubeconfig=${path.join(dir, 'kubeconfig')}`], { context: 'host' });
  };

  before(async () => {
    bed = await startBed({ members: ['member1'], powerdns: false, externalDns: false, installDnsEndpointCrd: false });
    admin = bed.kubeConfig('host');
    for (const ns of ['mcdns-system', 'kube-federation-system', 'apps']) await ensureNamespace(admin, ns);
  });

  after(async function () {
    if (this.currentTest?.state === 'failed' || process.env.MCDNS_E2E_LOGS) console.log(mcdns?.logs(), ...kubelets.map((k) => k.logs()));
    for (const k of kubelets) await k.stop();
    await mcdns?.stop();
    await bed?.stop();
  });

  it('passes `helm lint --strict` with the default values and each ci/*.yaml', async () => {
    expect(CI_VALUES.length).to.be.greaterThanOrEqual(5);
    for (const values of [undefined, ...CI_VALUES]) {
      const { stdout } = await helm(['lint', '--strict', CHART, ...(values ? ['--values', values] : [])]);
      expect(stdout, values ?? 'default values').to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders, with the default values, the objects `kubectl kustomize manifests/` renders (but the Helm labels), and the CRDs apart', async () => {
    const kustomized = parseYamlObjects(await kubectl(bed.kubeconfigPath, ['kustomize', 'manifests/']));
    const rendered = await helmTemplate({ includeCrds: false });
    const fromKustomize = new Map(kustomized.map((o) => [keyOf(o), o]));
    const fromHelm = new Map(rendered.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => [keyOf(o), withoutHelmLabels(o)]));
    expect([...fromHelm.keys()].sort()).to.deep.equal([...fromKustomize.keys()].sort());
    for (const [key, obj] of fromKustomize) expect(fromHelm.get(key), key).to.deep.equal(obj);
    // The shared DNSEndpoint CRD: the one of manifests/crds/externaldns/, kept on uninstall.
    const crd = objectOf<V1CustomResourceDefinition>(rendered, 'CustomResourceDefinition', DNSENDPOINT_CRD);
    const shared = parseYamlObjects(await kubectl(bed.kubeconfigPath, ['kustomize', 'manifests/crds/externaldns/']))[0] as V1CustomResourceDefinition;
    expect(crd.spec).to.deep.equal(shared.spec);
    expect(crd.metadata?.annotations).to.deep.equal({ ...shared.metadata?.annotations, 'helm.sh/resource-policy': 'keep' });
    expect((await helmTemplate({ includeCrds: false, set: ['dnsEndpointCrd.install=false'] })).map((o) => o.kind)).to.not.include('CustomResourceDefinition');
    // crds/: mcdns's own, as `kubectl apply -f manifests/crds/` installs them.
    const own = (await helmTemplate()).filter((o) => o.kind === 'CustomResourceDefinition' && o.metadata?.name !== DNSENDPOINT_CRD).map((o) => o.metadata?.name).sort();
    expect(own).to.deep.equal(['dnsnamepolicies', 'domains', 'ingressdnsrecords', 'routednsrecords', 'servicednsrecords'].map((k) => `${k}.multiclusterdns.kubefed.io`));
  });

  it('renders, with each ci/*.yaml, objects the API server accepts (`kubectl apply --dry-run=server`)', async () => {
    for (const values of CI_VALUES) {
      const objects = (await helmTemplate({ values: [values] })).filter((o) => !OPERATOR_KINDS.includes(o.kind ?? ''));
      const { stdout } = await applyAsUser(bed, objects, ['--dry-run=server']);
      expect(stdout, values).to.contain(`deployment.apps/${deploymentOf(objects).metadata!.name} created (server dry run)`);
      expect(stdout, values).to.contain('customresourcedefinition.apiextensions.k8s.io/ingressdnsrecords.multiclusterdns.kubefed.io created (server dry run)');
    }
  });

  describe('values, one `helm template` each', () => {
    it('renders every config value as its flag and takes credentials only from existing Secrets', async () => {
      const powerdns = objectOf<V1Deployment>(await helmTemplate({ values: [`${CHART}/ci/powerdns-values.yaml`] }), 'Deployment', 'mcdns');
      const c = powerdns.spec!.template.spec!.containers[0]!;
      expect(c.args).to.include.members([
        '--provider=powerdns', '--pdns-server=https://pdns-api.dns.svc:8081', '--pdns-tls-ca=/etc/mcdns/powerdns-tls/ca.crt', '--domain-filter=example.org', '--domain-filter=example.net',
        '--exclude-domains=internal.example.org', '--policy=upsert-only', '--txt-owner-id=mcdns-prod', '--workers=4', '--resync-schedule=*/10 * * * *',
      ]);
      expect(c.env?.find((e) => e.name === 'MCDNS_PDNS_API_KEY_FILE')?.value).to.equal('/etc/mcdns/powerdns/api-key');
      expect(powerdns.spec!.template.spec!.volumes?.find((v) => v.name === 'powerdns')?.secret?.secretName).to.equal('pdns-api-key');
      expect(c.env?.map((e) => e.name)).to.not.include('MCDNS_PDNS_API_KEY');
      expect(c.args!.filter((a) => a.startsWith('--pdns-tls-client')), 'no client certificate configured').to.deep.equal([]);
      const etcd = containerOf(await helmTemplate({ values: [`${CHART}/ci/coredns-etcd-values.yaml`] }));
      expect(etcd.args).to.include.members([
        '--etcd-ca-file=/etc/mcdns/etcd-tls/ca.crt', '--etcd-cert-file=/etc/mcdns/etcd-tls/tls.crt', '--etcd-key-file=/etc/mcdns/etcd-tls/tls.key',
        '--no-fail-open', '--namespace=apps', '--leader-election-id=mcdns-apps',
      ]);
      const azure = await helmTemplate({ values: [`${CHART}/ci/kubeconfig-azure-values.yaml`] });
      const az = deploymentOf(azure).spec!.template;
      expect(az.spec!.containers[0]!.args).to.include.members(['--kubeconfig=/etc/mcdns/kubeconfig/kubeconfig', '--member-contexts=eu,us', '--azure-config-file=/etc/mcdns/azure/azure.json', '--no-dnsendpoints']);
      expect(az.spec!.containers[0]!.args!.some((a) => a.startsWith('--members-kubeconfig')), 'members Secret turned off').to.equal(false);
      expect(az.spec!.containers[0]!.args).to.not.include('--leader-elect');
      expect(az.metadata?.labels?.['azure.workload.identity/use']).to.equal('true');
      expect(azure.find((o) => o.kind === 'Role' && o.metadata?.name === 'mcdns-kubefed-clusters'), 'no KubeFed Role without --kubefed-clusters').to.equal(undefined);
      expect(await failure(helmTemplateText({ set: ['config.ofline-grace=1m'] }))).to.match(/ofline-grace/);
      expect(await failure(helmTemplateText({ set: ['config.leader-elect=false'] }))).to.contain('replicaCount > 1 needs config.leader-elect: true');
      expect(await failure(helmTemplateText({ set: ['members.kubeconfigSecret.enabled=false'] }))).to.contain('no member clusters');
    });

    it('checks every provider\'s credential at install, naming the value to set', async () => {
      const fails = (set: string[]) => failure(helmTemplateText({ set }));
      expect(await fails(['config.provider={powerdns}', 'config.pdns-server=http://pdns:8081'])).to.contain('set providers.powerdns.apiKeySecret.name');
      expect(await fails(['config.provider={azure}'])).to.contain('config.provider includes azure: set providers.azure.configSecret.name');
      expect(await fails(['config.provider={azure}', 'providers.azure.workloadIdentity=true'])).to.contain('providers.azure.workloadIdentity needs providers.azure.clientId');
      expect(await fails(['config.provider={azure}', 'providers.azure.clientSecret.name=sp'])).to.contain('set providers.azure.configSecret.name');
      await helmTemplateText({ set: ['config.provider={azure}', 'providers.azure.clientSecret.name=sp', 'providers.azure.tenantId=t', 'providers.azure.clientId=c'] });
      await helmTemplateText({ set: ['config.provider={azure}', 'providers.azure.managedIdentity=true'] });
      expect(await fails(['config.provider={coredns-etcd}', 'config.etcd-endpoints=http://etcd:2379'])).to.contain('set providers.corednsEtcd.authSecret.name');
      expect(await fails(['config.provider={coredns-etcd}', 'providers.corednsEtcd.allowUnauthenticated=true'])).to.contain('set config.etcd-endpoints');
      await helmTemplateText({ set: ['config.provider={coredns-etcd}', 'config.etcd-endpoints=http://etcd:2379', 'providers.corednsEtcd.allowUnauthenticated=true'] });
      expect(await fails(['config.provider={route53}']), 'the schema knows the providers').to.match(/route53/);
    });

    it('refuses misspelt and mistyped values anywhere (values.schema.json)', async () => {
      expect(await failure(helmTemplateText({ set: ['metrics.serviceMonitor.enabeld=true'] }))).to.match(/enabeld/);
      expect(await failure(helmTemplateText({ set: ['podDisruptionBudget.minAvaliable=1'] }))).to.match(/minAvaliable/);
      expect(await failure(helmTemplateText({ set: ['replicaCount=two'] }))).to.match(/replicaCount/);
      expect(await failure(helmTemplateText({ set: ['image.pullPolicy=Sometimes'] }))).to.match(/pullPolicy/);
    });

    it('names, namespace and labels: nameOverride, fullnameOverride, namespaceOverride, commonLabels', async () => {
      const objects = await helmTemplate({ values: [`${CHART}/ci/conventions-values.yaml`], includeCrds: false });
      const deployment = deploymentOf(objects);
      expect(deployment.metadata?.name).to.equal('platform-dns');
      expect(deployment.spec?.selector.matchLabels).to.deep.equal({ 'app.kubernetes.io/name': 'dns', 'app.kubernetes.io/instance': 'mcdns' });
      for (const o of objects) expect(o.metadata?.labels?.['team'], keyOf(o)).to.equal('platform');
      const moved = await helmTemplate({ set: ['namespaceOverride=dns-system'], includeCrds: false });
      const namespaced = moved.filter((o) => !['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'].includes(o.kind ?? ''));
      expect(namespaced.map((o) => o.metadata?.namespace)).to.deep.equal(namespaced.map(() => 'dns-system'));
      const binding = objectOf<{ subjects: Array<{ namespace: string }> } & KubernetesObject>(moved, 'ClusterRoleBinding', 'mcdns');
      expect(binding.subjects[0]!.namespace).to.equal('dns-system');
    });

    it('the pod: security contexts (OpenShift without a fixed uid), topology spread, rollout, kept ReplicaSets, probes, members', async () => {
      const objects = await helmTemplate({ values: [`${CHART}/ci/conventions-values.yaml`], includeCrds: false });
      const d = deploymentOf(objects);
      const pod = d.spec!.template.spec!;
      expect(pod.securityContext).to.deep.equal({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.containers[0]!.securityContext).to.deep.equal({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(pod.topologySpreadConstraints).to.deep.equal([
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'dns', 'app.kubernetes.io/instance': 'mcdns' } } },
      ]);
      expect(d.spec?.strategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      expect(d.spec?.revisionHistoryLimit).to.equal(3);
      // Helm merges a values file into the defaults: timeoutSeconds stays.
      expect(pod.containers[0]!.readinessProbe).to.deep.equal({ httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
      expect(pod.volumes?.find((v) => v.name === 'members')?.secret).to.deep.equal({ secretName: 'fleet-kubeconfig', items: [{ key: 'config', path: 'kubeconfig' }] });
      expect(pod.containers[0]!.args).to.include.members(['--members-kubeconfig=/etc/mcdns/members/kubeconfig', '--member-contexts=eu-west,us-east']);
      const defaults = deploymentOf(await helmTemplate({ includeCrds: false }));
      expect(defaults.spec?.revisionHistoryLimit, 'Kubernetes\' default unless set').to.equal(undefined);
      expect(defaults.spec?.strategy).to.equal(undefined);
      expect(defaults.spec!.template.spec!.securityContext).to.include({ runAsUser: 65532, runAsNonRoot: true });
    });

    it('renders the PodDisruptionBudget only with more than one replica', async () => {
      const kinds = async (set: string[]) => (await helmTemplate({ set, includeCrds: false })).map((o) => o.kind);
      expect(await kinds([])).to.include('PodDisruptionBudget');
      expect(await kinds(['replicaCount=1'])).to.not.include('PodDisruptionBudget');
      expect(await kinds(['replicaCount=3', 'podDisruptionBudget.enabled=false'])).to.not.include('PodDisruptionBudget');
    });

    it('names the Lease after the release, so two releases in one namespace never share one', async () => {
      for (const [release, lease] of [['mcdns', 'mcdns'], ['edge', 'edge-mcdns']]) {
        const objects = await helmTemplate({ release, includeCrds: false });
        expect(containerOf(objects).args).to.include(`--leader-election-id=${lease}`);
        const role = objectOf<V1Role>(objects, 'Role', `${release === 'mcdns' ? 'mcdns' : 'edge-mcdns'}-leader-election`);
        expect(role.rules?.find((r) => r.resourceNames)?.resourceNames).to.deep.equal([lease]);
      }
      const pinned = await helmTemplate({ release: 'edge', set: ['config.leader-election-id=shared'], includeCrds: false });
      expect(containerOf(pinned).args).to.include('--leader-election-id=shared');
      expect(objectOf<V1Role>(pinned, 'Role', 'edge-mcdns-leader-election').rules?.find((r) => r.resourceNames)?.resourceNames).to.deep.equal(['shared']);
    });

    it('namespaced mode: with config.namespace, what mcdns writes is granted in that namespace only', async () => {
      const objects = await helmTemplate({ set: ['config.namespace=apps'], includeCrds: false });
      const cluster = objectOf<V1ClusterRole>(objects, 'ClusterRole', 'mcdns');
      const clusterVerbs = new Set(cluster.rules!.flatMap((r) => r.verbs));
      expect([...clusterVerbs].sort(), 'cluster-wide: reads only').to.deep.equal(['list', 'watch']);
      expect(cluster.rules!.flatMap((r) => r.resources).sort()).to.deep.equal(['dnsnamepolicies', 'domains', 'namespaces']);
      const role = objectOf<V1Role>(objects, 'Role', 'mcdns');
      expect(role.metadata?.namespace).to.equal('apps');
      expect(role.rules!.flatMap((r) => r.resources)).to.include.members(['ingressdnsrecords', 'ingressdnsrecords/status', 'dnsendpoints', 'events']);
      expect(objectOf<V1Role>(objects, 'Role', 'mcdns-events').metadata?.namespace, 'Events on the pod and the Lease').to.equal('mcdns-system');
      expect(objectOf(objects, 'RoleBinding', 'mcdns').metadata?.namespace).to.equal('apps');
      const clusterWide = objectOf<V1ClusterRole>(await helmTemplate({ includeCrds: false }), 'ClusterRole', 'mcdns');
      expect(clusterWide.rules!.flatMap((r) => r.verbs)).to.include.members(['create', 'update', 'delete']);
    });

    it('the optional ServiceMonitor (namespace, relabelings, TLS), the alerts (runbooks on a mirror) and the dashboard of manifests/monitoring', async () => {
      const objects = await helmTemplate({ values: [`${CHART}/ci/kubefed-values.yaml`] });
      const service = objectOf<V1Service>(objects, 'Service', 'mcdns-metrics');
      const monitor = objectOf(objects, 'ServiceMonitor', 'mcdns') as unknown as { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string }> } };
      expect(service.metadata?.labels).to.include(monitor.spec.selector.matchLabels);
      expect(service.spec?.ports?.map((p) => p.name)).to.include(monitor.spec.endpoints[0]?.port);
      const rule = objectOf(objects, 'PrometheusRule', 'mcdns') as unknown as { spec: unknown };
      expect(rule.spec).to.deep.equal((parse(readFileSync('manifests/monitoring/prometheusrule.yaml', 'utf8')) as { spec: unknown }).spec);
      const dashboard = objectOf(objects, 'ConfigMap', 'mcdns-dashboard') as unknown as { metadata: { labels: Record<string, string> }; data: Record<string, string> };
      expect(dashboard.metadata.labels['grafana_dashboard']).to.equal('1');
      expect(JSON.parse(dashboard.data['mcdns.json']!)).to.deep.equal(JSON.parse(readFileSync('manifests/monitoring/grafana-dashboard.json', 'utf8')));
      expect((await helmTemplate()).map((o) => o.kind), 'off by default').to.not.include.members(['ServiceMonitor', 'PrometheusRule', 'ConfigMap']);

      const conv = await helmTemplate({ values: [`${CHART}/ci/conventions-values.yaml`], includeCrds: false });
      const sm = objectOf(conv, 'ServiceMonitor', 'platform-dns') as unknown as { metadata: { namespace: string }; spec: { namespaceSelector: unknown; endpoints: Array<Record<string, unknown>> } };
      expect(sm.metadata.namespace).to.equal('monitoring');
      expect(sm.spec.namespaceSelector).to.deep.equal({ matchNames: ['mcdns-system'] });
      expect(sm.spec.endpoints[0]).to.deep.include({ scheme: 'https', scrapeTimeout: '10s', tlsConfig: { insecureSkipVerify: false, serverName: 'platform-dns-metrics' } });
      expect(sm.spec.endpoints[0]!['relabelings']).to.deep.equal([{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }]);
      expect(sm.spec.endpoints[0]!['metricRelabelings']).to.deep.equal([{ sourceLabels: ['__name__'], regex: 'nodejs_.*', action: 'drop' }]);
      const mirrored = objectOf(conv, 'PrometheusRule', 'platform-dns') as unknown as { spec: { groups: Array<{ rules: Array<{ annotations: Record<string, string> }> }> } };
      const urls = mirrored.spec.groups.flatMap((g) => g.rules.map((r) => r.annotations['runbook_url']));
      expect(urls[0]).to.equal('https://docs.example.org/mcdns/runbooks#mcdnsdown');
      expect(urls.every((u) => u?.startsWith('https://docs.example.org/mcdns/runbooks#'))).to.equal(true);
    });
  });

  it('installs with `helm install`: the DNSEndpoint CRD where it is missing; `mcdns run` with the installed Deployment\'s args publishes as the chart\'s ServiceAccount', async () => {
    const kubefedValues = `${CHART}/ci/kubefed-values.yaml`;
    await kubectl(bed.kubeconfigPath, ['apply', '-f', 'manifests/crds/kubefed/kubefedclusters.core.kubefed.io.yaml'], { context: 'host' });
    const install = await helm([
      'install', 'mcdns', CHART, '--namespace', 'mcdns-system', `--kubeconfig=${bed.kubeconfigPath}`, '--kube-context=host',
      '--values', kubefedValues, '--set', 'metrics.serviceMonitor.enabled=false', '--set', 'metrics.prometheusRule.enabled=false',
    ]);
    expect(install.stdout).to.match(/STATUS: deployed/);
    expect(install.stdout).to.contain('Members also come from KubeFedCluster objects in kube-federation-system');
    const crd = await admin.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: DNSENDPOINT_CRD });
    expect(crd.metadata?.annotations?.['helm.sh/resource-policy'], 'installed where missing, to be kept').to.equal('keep');

    // The Secrets rule is narrowed to the names in kubefed.secretNames, verb get only.
    const role = JSON.parse(await kubectl(bed.kubeconfigPath, ['get', 'role', 'mcdns-kubefed-clusters', '-n', 'kube-federation-system', '-o', 'json'], { context: 'host' })) as V1Role;
    expect(role.rules?.find((r) => r.resources?.includes('secrets'))).to.deep.include({ resourceNames: ['member1-token'], verbs: ['get'] });

    await ensureNamespace(bed.kubeConfig('member1'), 'mcdns-system');
    await kubectl(bed.kubeconfigPath, ['apply', '-k', 'manifests/member/'], { context: 'member1' });
    const member1 = bed.apiServer('member1');
    const memberToken = (await kubectl(bed.kubeconfigPath, ['create', 'token', 'mcdns-member', '-n', 'mcdns-system', '--duration=2h'], { context: 'member1' })).trim();
    await joinKubeFedCluster(admin, { name: 'member1', apiEndpoint: member1.url, caPem: member1.caPem, token: memberToken });
    // An unrelated Secret in the KubeFed namespace, which mcdns may not read.
    await kubectl(bed.kubeconfigPath, ['create', 'secret', 'generic', 'unrelated', '-n', 'kube-federation-system', '--from-literal=password=x'], { context: 'host' });

    const token = (await kubectl(bed.kubeconfigPath, ['create', 'token', 'mcdns', '-n', 'mcdns-system', '--duration=2h'], { context: 'host' })).trim();
    const kubeconfig = path.join(makeTempDir('helm-sa'), 'kubeconfig');
    writeKubeconfig(kubeconfig, [{ name: 'host', server: bed.apiServer('host').url, token, caPem: bed.apiServer('host').caPem }], 'host');

    // The Deployment as installed, run with local addresses.
    const deployment = JSON.parse(await kubectl(bed.kubeconfigPath, ['get', 'deployment', 'mcdns', '-n', 'mcdns-system', '-o', 'json'], { context: 'host' })) as V1Deployment;
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(container.args?.[0]).to.equal('run');
    const metrics = `127.0.0.1:${await freePort()}`;
    const args = [
      ...container.args!.slice(1).map((a) => (a.startsWith('--metrics-address=') ? `--metrics-address=${metrics}` : a)),
      `--kubeconfig=${kubeconfig}`,
    ];
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) env[e.name] = e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? 'mcdns-system' : '');
    mcdns = startMcdns(args, env);

    const m1 = bed.kubeConfig('member1');
    await ensureNamespace(m1, 'shop');
    await putNode(m1, 'node-a', 'eu-west-1', 'eu-west-1a');
    await putIngress(m1, 'shop', 'web', ['web.example.org'], ['127.0.0.11']);
    await eventually('ready', async () => (await fetch(`http://${metrics}/readyz`)).status, (s) => s === 200, 60_000);
    expect(sample(await (await fetch(`http://${metrics}/metrics`)).text(), 'mcdns_leader')).to.equal(1);

    await ensureNamespace(admin, 'shop');
    await bed.apply('host', {
      apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
      kind: 'IngressDNSRecord',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { hosts: ['web.example.org'] },
    } as KubernetesObject);
    const custom = admin.makeApiClient(CustomObjectsApi);
    const endpoint = await eventually(
      'DNSEndpoint',
      async () => (await custom.getNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: 'shop', plural: 'dnsendpoints', name: 'ingress-web' })) as DNSEndpoint,
      (e) => (e.spec.endpoints ?? []).some((x) => x.targets.includes('127.0.0.11')),
      60_000,
    );
    expect(endpoint.metadata.labels?.['app.kubernetes.io/managed-by']).to.equal('mcdns');
    expect((mcdns.logs().split('\n')).filter((l) => /forbidden|"status":403/i.test(l))).to.deep.equal([]);
  });

  it('keeps the DNSEndpoint CRD it installed, and every DNSEndpoint, on `helm uninstall`', async () => {
    await mcdns?.stop();
    await helm(['uninstall', 'mcdns', '--namespace', 'mcdns-system', `--kubeconfig=${bed.kubeconfigPath}`, '--kube-context=host']);
    const api = admin.makeApiClient(ApiextensionsV1Api);
    expect((await api.readCustomResourceDefinition({ name: DNSENDPOINT_CRD })).metadata?.name).to.equal(DNSENDPOINT_CRD);
    await admin.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: 'shop', plural: 'dnsendpoints', name: 'ingress-web' });
  });

  it('docs/runbooks.md finds any installation by its alert labels: a release `edge` in `dns-edge`, its pods and its Lease', async () => {
    await ensureNamespace(admin, 'dns-edge');
    await membersSecret('dns-edge', 'edge-mcdns-members');
    await helm(['install', 'edge', CHART, '--namespace', 'dns-edge', `--kubeconfig=${bed.kubeconfigPath}`, '--kube-context=host']);
    kubeletFor('dns-edge');
    await kubectl(bed.kubeconfigPath, ['-n', 'dns-edge', 'rollout', 'status', 'deployment/edge-mcdns', '--timeout=3m'], { context: 'host', timeoutMs: 200_000 });
    await eventually('a leader', async () => JSON.parse(await kubectl(bed.kubeconfigPath, ['-n', 'dns-edge', 'get', 'lease', 'edge-mcdns', '-o', 'json'], { context: 'host' })).spec?.holderIdentity as string | undefined, (h) => !!h, 60_000);

    const find = shellBlocks('docs/runbooks.md').find((b) => b.headings.includes('## Find the installation'))!;
    const runner = new DocRunner({ PATH: [toolDir({ kubectl: bins.kubectl() }), '/usr/bin', '/bin'].join(':'), KUBECONFIG: bed.kubeconfigPath, NS: 'dns-edge', JOB: 'edge-mcdns-metrics' });
    const { stdout } = await runner.run(find);
    const pods = JSON.parse(await kubectl(bed.kubeconfigPath, ['-n', 'dns-edge', 'get', 'pods', '-o', 'json'], { context: 'host' })) as { items: Array<{ metadata: { name: string } }> };
    expect(pods.items.length).to.equal(2);
    for (const p of pods.items) expect(stdout).to.contain(p.metadata.name);
    expect(stdout).to.match(/^edge-mcdns\s+edge-mcdns-\S+_[0-9a-f-]+\s+\S+$/m);
    // The runbooks' commands name no fixed namespace or Lease.
    const commands = shellBlocks('docs/runbooks.md').map((b) => b.text).join('\n');
    expect(commands).to.not.match(/mcdns-system|lease mcdns\b|-n mcdns\b/);
    // Gone again (the kubelet stops its pods), so that the next test has the only mcdns.
    await helm(['uninstall', 'edge', '--namespace', 'dns-edge', `--kubeconfig=${bed.kubeconfigPath}`, '--kube-context=host']);
    await eventually('edge stopped', async () => kubelets[0]!.addresses().length, (n) => n === 0, 60_000);
  });

  it('namespaced mode runs with the Role it renders: a release confined to `apps` publishes there, leaves other namespaces alone, is never refused', async () => {
    await ensureNamespace(admin, 'dns-apps');
    await membersSecret('dns-apps', 'apps-mcdns-members');
    await helm(['install', 'apps', CHART, '--namespace', 'dns-apps', `--kubeconfig=${bed.kubeconfigPath}`, '--kube-context=host', '--set', 'config.namespace=apps', '--set', 'replicaCount=1', '--set', 'config.leader-elect=false']);
    const k = kubeletFor('dns-apps');
    await kubectl(bed.kubeconfigPath, ['-n', 'dns-apps', 'rollout', 'status', 'deployment/apps-mcdns', '--timeout=3m'], { context: 'host', timeoutMs: 200_000 });
    const m1 = bed.kubeConfig('member1');
    for (const ns of ['apps', 'other']) {
      await ensureNamespace(m1, ns);
      await putIngress(m1, ns, 'web', [`${ns}.example.org`], ['127.0.0.11']);
      await ensureNamespace(admin, ns);
      await bed.apply('host', { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', metadata: { name: 'web', namespace: ns }, spec: { hosts: [`${ns}.example.org`] } } as KubernetesObject);
    }
    const custom = admin.makeApiClient(CustomObjectsApi);
    const get = (ns: string) => custom.getNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: ns, plural: 'dnsendpoints', name: 'ingress-web' }) as Promise<DNSEndpoint>;
    await eventually('the DNSEndpoint in apps', () => get('apps'), (e) => (e.spec.endpoints ?? []).some((x) => x.targets.includes('127.0.0.11')), 60_000);
    expect(await get('other').then(() => 'written', () => 'none'), 'a record outside the namespace').to.equal('none');
    expect(k.logs(400)).to.not.match(/forbidden|"status":40[13]/i);
    expect(k.errors).to.deep.equal([]);
  });
});

/** `kubectl apply -f -` of objects with the bed's admin kubeconfig on the host. */
async function applyAsUser(bed: Bed, objects: KubernetesObject[], extra: string[]): Promise<{ stdout: string }> {
  const stdout = await kubectl(bed.kubeconfigPath, ['apply', ...extra, '-f', '-'], { context: 'host', input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  return { stdout };
}

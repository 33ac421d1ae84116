// manifests/helm/mcdns on a real API server: `helm lint`, `helm template` with every values file
// under ci/ applied with `kubectl apply --dry-run=server`, the default render compared object by
// object with `kubectl kustomize manifests/`, then `helm install` for real and the controller
// run with the installed Deployment's arguments and environment, authenticated as the chart's
// ServiceAccount with only the chart's RBAC (KubeFed token Secrets narrowed by name).
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import * as path from 'node:path';
import { CustomObjectsApi, type KubeConfig, type KubernetesObject, type V1Deployment, type V1Role, type V1Service } from '@kubernetes/client-node';
import type { DNSEndpoint } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { CHART, helm, helmTemplate, helmTemplateText, objectOf } from '../env/helm.js';
import { kubectl, parseYamlObjects, writeKubeconfig } from '../env/kube.js';
import { startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { makeTempDir } from '../env/process.js';
import { ensureNamespace, eventually, joinKubeFedCluster, putIngress, putNode } from '../env/workloads.js';
import { sample } from '../unit/metrics/metrics-text.js';

const CI_VALUES = readdirSync(`${CHART}/ci`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${CHART}/ci/${f}`);
// Labels Helm charts carry and kustomize's manifests do not (documented in docs/install.md).
const HELM_ONLY_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version'];
// Kinds of the Prometheus Operator: their CRDs are not in the bed (promtool checks the rules).
const OPERATOR_KINDS = ['ServiceMonitor', 'PrometheusRule'];

/** A copy without the Helm-only labels, wherever they appear (labels, selectors, affinity). */
function withoutHelmLabels(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutHelmLabels);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !HELM_ONLY_LABELS.includes(k)).map(([k, v]) => [k, withoutHelmLabels(v)]));
  }
  return value;
}
const keyOf = (o: KubernetesObject): string => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

describe('Helm chart on a real API server, and the controller running from its Deployment', function () {
  this.timeout(300_000);
  let bed: Bed;
  let admin: KubeConfig;
  let mcdns: McdnsHandle | undefined;

  before(async () => {
    bed = await startBed({ members: ['member1'], powerdns: false, externalDns: false, installDnsEndpointCrd: false });
    admin = bed.kubeConfig('host');
    for (const ns of ['mcdns-system', 'kube-federation-system']) await ensureNamespace(admin, ns);
  });

  after(async function () {
    if (this.currentTest?.state === 'failed' || process.env.MCDNS_E2E_LOGS) console.log(mcdns?.logs());
    await mcdns?.stop();
    await bed?.stop();
  });

  it('passes `helm lint --strict` with the default values and each ci/*.yaml', async () => {
    expect(CI_VALUES.length).to.be.greaterThanOrEqual(4);
    for (const values of [undefined, ...CI_VALUES]) {
      const { stdout } = await helm(['lint', '--strict', CHART, ...(values ? ['--values', values] : [])]);
      expect(stdout, values ?? 'default values').to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders, with the default values, the objects `kubectl kustomize manifests/` renders (but the Namespace and Helm labels)', async () => {
    const kustomized = parseYamlObjects(await kubectl(bed.kubeconfigPath, ['kustomize', 'manifests/']));
    const rendered = await helmTemplate();
    const fromKustomize = new Map(kustomized.filter((o) => o.kind !== 'Namespace').map((o) => [keyOf(o), o]));
    const fromHelm = new Map(rendered.map((o) => [keyOf(o), withoutHelmLabels(o)]));
    expect([...fromHelm.keys()].sort()).to.deep.equal([...fromKustomize.keys()].sort());
    for (const [key, obj] of fromKustomize) expect(fromHelm.get(key), key).to.deep.equal(obj);
  });

  it('renders, with each ci/*.yaml, objects the API server accepts (`kubectl apply --dry-run=server`)', async () => {
    for (const values of CI_VALUES) {
      const objects = (await helmTemplate({ values: [values] })).filter((o) => !OPERATOR_KINDS.includes(o.kind ?? ''));
      const { stdout } = await applyAsUser(bed, objects, ['--dry-run=server']);
      expect(stdout, values).to.contain('deployment.apps/mcdns created (server dry run)');
      expect(stdout, values).to.contain('customresourcedefinition.apiextensions.k8s.io/ingressdnsrecords.multiclusterdns.kubefed.io created (server dry run)');
    }
  });

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
    const etcd = objectOf<V1Deployment>(await helmTemplate({ values: [`${CHART}/ci/coredns-etcd-values.yaml`] }), 'Deployment', 'mcdns');
    expect(etcd.spec!.template.spec!.containers[0]!.args).to.include.members([
      '--etcd-ca-file=/etc/mcdns/etcd-tls/ca.crt', '--etcd-cert-file=/etc/mcdns/etcd-tls/tls.crt', '--etcd-key-file=/etc/mcdns/etcd-tls/tls.key',
      '--no-fail-open', '--namespace=apps', '--leader-election-id=mcdns-apps',
    ]);

    const missing = await helmTemplateText({ set: ['config.provider={powerdns}', 'config.pdns-server=http://pdns:8081'] }).then(() => '', (e: Error) => e.message);
    expect(missing).to.contain('set providers.powerdns.apiKeySecret.name');

    const azure = await helmTemplate({ values: [`${CHART}/ci/kubeconfig-azure-values.yaml`] });
    const az = objectOf<V1Deployment>(azure, 'Deployment', 'mcdns').spec!.template;
    expect(az.spec!.containers[0]!.args).to.include.members(['--kubeconfig=/etc/mcdns/kubeconfig/kubeconfig', '--azure-config-file=/etc/mcdns/azure/azure.json', '--no-dnsendpoints']);
    expect(az.spec!.containers[0]!.args).to.not.include('--leader-elect');
    expect(az.metadata?.labels?.['azure.workload.identity/use']).to.equal('true');
    expect(azure.map((o) => o.kind)).to.not.include.members(['PodDisruptionBudget']);
    expect(azure.find((o) => o.kind === 'Role' && o.metadata?.name === 'mcdns-kubefed-clusters'), 'no KubeFed Role without --kubefed-clusters').to.equal(undefined);

    const misspelt = await helmTemplateText({ set: ['config.ofline-grace=1m'] }).then(() => '', (e: Error) => e.message);
    expect(misspelt).to.match(/ofline-grace/);

    const twoWriters = await helmTemplateText({ set: ['config.leader-elect=false'] }).then(() => '', (e: Error) => e.message);
    expect(twoWriters).to.contain('replicaCount > 1 needs config.leader-elect: true');
  });

  it('renders the optional ServiceMonitor for the metrics Service, the alerts and the dashboard of manifests/monitoring', async () => {
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
  });

  it('installs with `helm install`, and `mcdns run` with the installed Deployment\'s args publishes as the chart\'s ServiceAccount', async () => {
    const kubefedValues = `${CHART}/ci/kubefed-values.yaml`;
    await kubectl(bed.kubeconfigPath, ['apply', '-f', 'manifests/crds/kubefedclusters.core.kubefed.io.yaml'], { context: 'host' });
    const install = await helm([
      'install', 'mcdns', CHART, '--namespace', 'mcdns-system', `--kubeconfig=${bed.kubeconfigPath}`, '--kube-context=host',
      '--values', kubefedValues, '--set', 'metrics.serviceMonitor.enabled=false', '--set', 'metrics.prometheusRule.enabled=false',
    ]);
    expect(install.stdout).to.match(/STATUS: deployed/);
    expect(install.stdout).to.contain('KubeFedCluster objects in kube-federation-system');

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
});

/** `kubectl apply -f -` of objects with the bed's admin kubeconfig on the host. */
async function applyAsUser(bed: Bed, objects: KubernetesObject[], extra: string[]): Promise<{ stdout: string }> {
  const stdout = await kubectl(bed.kubeconfigPath, ['apply', ...extra, '-f', '-'], { context: 'host', input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  return { stdout };
}

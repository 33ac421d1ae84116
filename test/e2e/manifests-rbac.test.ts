// manifests/ on real API servers: `kubectl apply -k` (server dry-run and for real, components
// and member manifests too), then the controller run exactly as the Deployment runs it (with
// components/kubefed, so that the KubeFed Role is exercised too; the default Deployment runs in
// test/e2e/walkthrough.test.ts), but authenticated as the manifests' ServiceAccounts with only
// the manifests' RBAC, through the seed flow's happy path. The API servers keep an audit log of those ServiceAccounts: every
// request must have been allowed, and every permission granted must have been used (or be
// listed below with the reason this test cannot exercise it). So the RBAC is exactly the
// verbs used, and stays so.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type CoreV1Event } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { DNSEndpoint, DNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { putGateway, putRoute, setGatewayAddresses, setRouteParents } from '../env/gateway-api.js';
import { kubeConfigFor, writeKubeconfig } from '../env/kube.js';
import { startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { makeTempDir } from '../env/process.js';
import { bins } from '../env/tools.js';
import {
  ensureNamespace,
  eventually,
  joinKubeFedCluster,
  putIngress,
  putLoadBalancerService,
  putNode,
  setIngressAddresses,
} from '../env/workloads.js';
import { sample } from '../unit/metrics/metrics-text.js';

const HOST_SA = 'system:serviceaccount:mcdns-system:mcdns';
const MEMBER_SA = 'system:serviceaccount:mcdns-system:mcdns-member';

/** Granted but not exercised here, and why (each entry must be granted, or the test fails). */
const NOT_EXERCISED: Record<string, string> = {
  'multiclusterdns.kubefed.io|ingressdnsrecords|update': 'cleanup finalizer: only with a direct DNS provider (test/unit/controller/finalizer.test.ts)',
  'multiclusterdns.kubefed.io|servicednsrecords|update': 'cleanup finalizer: only with a direct DNS provider',
  'multiclusterdns.kubefed.io|ingressdnsrecords/finalizers|update':
    'checked inside the API server by OwnerReferencesPermissionEnforcement (enabled here; proven needed below), never a request',
  'multiclusterdns.kubefed.io|servicednsrecords/finalizers|update': 'as ingressdnsrecords/finalizers',
  'multiclusterdns.kubefed.io|routednsrecords|update': 'cleanup finalizer: only with a direct DNS provider',
  'multiclusterdns.kubefed.io|routednsrecords/finalizers|update': 'as ingressdnsrecords/finalizers',
  'multiclusterdns.kubefed.io|dnsendpoints|get': 'legacy group: --dnsendpoint-group=multiclusterdns.kubefed.io (components/externaldns-legacy)',
  'multiclusterdns.kubefed.io|dnsendpoints|list': 'legacy group',
  'multiclusterdns.kubefed.io|dnsendpoints|watch': 'legacy group',
  'multiclusterdns.kubefed.io|dnsendpoints|create': 'legacy group',
  'multiclusterdns.kubefed.io|dnsendpoints|update': 'legacy group',
  'multiclusterdns.kubefed.io|dnsendpoints|delete': 'legacy group',
};

/** Granted on members but not exercised here, and why. */
const MEMBER_NOT_EXERCISED: Record<string, string> = Object.fromEntries([
  ...['grpcroutes', 'tlsroutes', 'tcproutes', 'udproutes'].flatMap((r) =>
    ['list', 'watch'].map((v) => [`gateway.networking.k8s.io|${r}|${v}`, 'a RouteDNSRecord naming that route kind (HTTPRoute here; every kind goes the same way)']),
  ),
]);

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

function grantsOf(file: string, roleNames: string[]): Set<string> {
  const out = new Set<string>();
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const obj = doc.toJS() as { kind?: string; metadata?: { name?: string }; rules?: Rule[] } | null;
    if (!obj || !['ClusterRole', 'Role'].includes(obj.kind ?? '') || !roleNames.includes(obj.metadata?.name ?? '')) continue;
    for (const r of obj.rules ?? []) {
      for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs ?? []) out.add(`${g}|${res}|${v}`);
    }
  }
  return out;
}

interface AuditEvent {
  kind?: string;
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestURI?: string;
}

/** The audit events of `user` in an API server's log (audit goes to its stdout). */
function auditOf(logFile: string, user: string): AuditEvent[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"kind":"Event"'))
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.user?.username === user);
}

const usedOf = (events: AuditEvent[]): Set<string> =>
  new Set(
    events
      .filter((e) => e.objectRef?.resource)
      .map((e) => `${e.objectRef?.apiGroup ?? ''}|${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}|${e.verb}`),
  );

/** kubectl with the bed's admin kubeconfig; resolves with stdout and stderr (warnings). */
function kubectl(bed: Bed, context: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(bins.kubectl(), [`--kubeconfig=${bed.kubeconfigPath}`, `--context=${context}`, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** kubectl warnings other than the one about namespaces created before by the API (not by apply). */
const unexpectedWarnings = (stderr: string): string[] =>
  stderr.split('\n').filter((l) => /warning/i.test(l) && !/missing the kubectl\.kubernetes\.io\/last-applied-configuration/.test(l));

/** A kustomization in a temp dir: the base plus components, as a user would write it. */
function userKustomization(components: string[]): string {
  const dir = makeTempDir('kustomize');
  const rel = (p: string) => path.relative(dir, path.resolve(p));
  writeFileSync(
    path.join(dir, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${rel('manifests')}\n` +
      (components.length ? `components:\n${components.map((c) => `  - ${rel(c)}\n`).join('')}` : ''),
  );
  return dir;
}

/** A Gateway (address `ip`) and an HTTPRoute for `host` in fed-namespace, both named `name`, the route accepted. */
async function gatewayRoute(kc: KubeConfig, name: string, host: string, ip: string): Promise<void> {
  await putGateway(kc, 'fed-namespace', name);
  await setGatewayAddresses(kc, 'fed-namespace', name, [ip]);
  await putRoute(kc, 'HTTPRoute', 'fed-namespace', name, { hostnames: [host], parents: [name] });
  await setRouteParents(kc, 'HTTPRoute', 'fed-namespace', name, [{ parent: name, accepted: true }]);
}

describe('manifests/ on a real API server, and the controller running with exactly their RBAC', function () {
  this.timeout(300_000);
  let bed: Bed;
  let admin: KubeConfig;
  let mcdns: McdnsHandle | undefined;
  let metrics = '';

  before(async () => {
    const dir = makeTempDir('audit');
    const policy = path.join(dir, 'audit-policy.yaml');
    writeFileSync(
      policy,
      `apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n` +
        `  - level: Metadata\n    users: ["${HOST_SA}", "${MEMBER_SA}", "system:serviceaccount:mcdns-system:probe"]\n  - level: None\n`,
    );
    bed = await startBed({
      members: ['member1'],
      powerdns: false,
      externalDns: false,
      installDnsEndpointCrd: false,
      gatewayApi: ['member1'],
      apiServerArgs: [
        `--audit-policy-file=${policy}`,
        '--audit-log-path=-',
        // What OpenShift and hardened clusters enable: setting blockOwnerDeletion needs RBAC.
        '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
      ],
    });
    admin = bed.kubeConfig('host');
  });

  after(async function () {
    if (this.currentTest?.state === 'failed' || process.env.MCDNS_E2E_LOGS) console.log(mcdns?.logs());
    await mcdns?.stop();
    await bed?.stop();
  });

  it('kubectl apply -k manifests/ --dry-run=server accepts every object, components, CRDs and member manifests too', async () => {
    // The namespace comes first (install.md); where KubeFed is (or was) installed its namespace exists.
    await kubectl(bed, 'host', ['apply', '-f', 'manifests/namespace.yaml']);
    await ensureNamespace(admin, 'kube-federation-system');
    const base = await kubectl(bed, 'host', ['apply', '-k', 'manifests/', '--dry-run=server']);
    for (const obj of [
      'serviceaccount/mcdns',
      'clusterrole.rbac.authorization.k8s.io/mcdns',
      'role.rbac.authorization.k8s.io/mcdns-leader-election',
      'deployment.apps/mcdns',
      'service/mcdns-metrics',
      'poddisruptionbudget.policy/mcdns',
    ]) {
      expect(base.stdout).to.contain(`${obj} created (server dry run)`);
    }
    expect(base.stdout, 'no CRD and no Namespace: deleting the kustomization deletes nothing else').to.not.match(/customresourcedefinition|namespace\//);
    expect(unexpectedWarnings(base.stderr), 'warnings (e.g. PodSecurity)').to.deep.equal([]);
    const crds = await kubectl(bed, 'host', ['apply', '-f', 'manifests/crds/', '--dry-run=server']);
    expect(crds.stdout).to.contain('customresourcedefinition.apiextensions.k8s.io/ingressdnsrecords.multiclusterdns.kubefed.io created (server dry run)');
    expect(crds.stdout, 'the shared CRD apart').to.not.contain('dnsendpoints.externaldns.k8s.io');
    const shared = await kubectl(bed, 'host', ['create', '-k', 'manifests/crds/externaldns/', '--dry-run=server']);
    expect(shared.stdout).to.contain('customresourcedefinition.apiextensions.k8s.io/dnsendpoints.externaldns.k8s.io created (server dry run)');
    const kubefed = await kubectl(bed, 'host', ['apply', '-k', userKustomization(['manifests/components/kubefed']), '--dry-run=server']);
    expect(kubefed.stdout).to.contain('role.rbac.authorization.k8s.io/mcdns-kubefed-clusters created (server dry run)');
    for (const component of ['manifests/components/externaldns', 'manifests/components/externaldns-legacy']) {
      const r = await kubectl(bed, 'host', ['apply', '-k', userKustomization([component]), '--dry-run=server']);
      expect(r.stdout).to.match(/deployment\.apps\/external-dns(-legacy)? created \(server dry run\)/);
      expect(unexpectedWarnings(r.stderr)).to.deep.equal([]);
    }
    await ensureNamespace(bed.kubeConfig('member1'), 'mcdns-system');
    const member = await kubectl(bed, 'member1', ['apply', '-k', 'manifests/member/', '--dry-run=server']);
    expect(member.stdout).to.contain('clusterrole.rbac.authorization.k8s.io/mcdns-member created (server dry run)');
  });

  it('installs for real; the Deployment meets the restricted Pod Security Standard; the samples validate against the CRDs', async () => {
    const r = await kubectl(bed, 'host', ['apply', '-k', userKustomization(['manifests/components/kubefed'])]);
    expect(r.stdout).to.contain('deployment.apps/mcdns created');
    expect(r.stderr).not.to.match(/would violate PodSecurity/);
    // The check above can fail: the same Deployment without its securityContext is warned about.
    const loose = parseAllDocuments(readFileSync('manifests/deployment.yaml', 'utf8'))[0]!.toJS() as {
      metadata: { name: string };
      spec: { template: { spec: { securityContext?: unknown; containers: Array<{ securityContext?: unknown }> } } };
    };
    loose.metadata.name = 'mcdns-loose';
    delete loose.spec.template.spec.securityContext;
    delete loose.spec.template.spec.containers[0]!.securityContext;
    const dir = makeTempDir('pss');
    writeFileSync(path.join(dir, 'loose.json'), JSON.stringify(loose));
    const warned = await kubectl(bed, 'host', ['apply', '-f', path.join(dir, 'loose.json'), '--dry-run=server']);
    expect(warned.stderr).to.match(/would violate PodSecurity "restricted/);
    await kubectl(bed, 'host', ['apply', '-f', 'manifests/crds/', '-f', 'manifests/crds/kubefed/kubefedclusters.core.kubefed.io.yaml']);
    await kubectl(bed, 'host', ['create', '-k', 'manifests/crds/externaldns/']);
    await kubectl(bed, 'host', ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    await kubectl(bed, 'member1', ['apply', '-k', 'manifests/member/']);
    for (const ns of ['fed-namespace', 'test-namespace']) await ensureNamespace(admin, ns);
    const samples = await kubectl(bed, 'host', ['apply', '-f', 'manifests/samples/', '--dry-run=server']);
    expect(samples.stdout).to.contain('ingressdnsrecord.multiclusterdns.kubefed.io/fed-helloworld-ingress created (server dry run)');
    expect(samples.stdout).to.contain('servicednsrecord.multiclusterdns.kubefed.io/test-service created (server dry run)');
    expect(samples.stdout).to.contain('routednsrecord.multiclusterdns.kubefed.io/helloworld created (server dry run)');
  });

  it('runs `mcdns run` with the Deployment\'s arguments as the ServiceAccount through the seed flow', async () => {
    const member1 = bed.apiServer('member1');
    // The member's read-only ServiceAccount, registered on the host as `kubefedctl join` would.
    const memberToken = (await kubectl(bed, 'member1', ['create', 'token', 'mcdns-member', '-n', 'mcdns-system', '--duration=2h'])).stdout.trim();
    await joinKubeFedCluster(admin, { name: 'member1', apiEndpoint: member1.url, caPem: member1.caPem, token: memberToken });
    // The controller's own ServiceAccount on the host, in a kubeconfig as in-cluster config would give it.
    const token = (await kubectl(bed, 'host', ['create', 'token', 'mcdns', '-n', 'mcdns-system', '--duration=2h'])).stdout.trim();
    const dir = makeTempDir('sa');
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfig, [{ name: 'host', server: bed.apiServer('host').url, token, caPem: bed.apiServer('host').caPem }], 'host');

    // Exactly the Deployment's container args and env (with components/kubefed), with local addresses and test timings.
    const rendered = (await kubectl(bed, 'host', ['kustomize', userKustomization(['manifests/components/kubefed'])])).stdout;
    const deployment = parseAllDocuments(rendered).map((d) => d.toJS() as { kind: string }).find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string; value?: string; valueFrom?: unknown }> }> } } };
    };
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.args[0]).to.equal('run');
    const port = await freePort();
    metrics = `127.0.0.1:${port}`;
    const args = [
      ...container.args.slice(1).map((a) => (a.startsWith('--metrics-address=') ? `--metrics-address=${metrics}` : a)),
      `--kubeconfig=${kubeconfig}`,
      '--offline-grace=3s',
      '--heartbeat-interval=1s',
    ];
    const env: Record<string, string> = {};
    for (const e of container.env) env[e.name] = e.value ?? (e.name === 'MCDNS_LEADER_ELECTION_NAMESPACE' ? 'mcdns-system' : '');
    mcdns = startMcdns(args, env);

    const m1 = bed.kubeConfig('member1');
    for (const ns of ['fed-namespace', 'test-namespace']) await ensureNamespace(m1, ns);
    await putNode(m1, 'node-a', 'eu-west-1', 'eu-west-1a');
    await putIngress(m1, 'fed-namespace', 'helloworld-ingress', ['helloworld.example.org'], ['127.0.0.11']);
    await putLoadBalancerService(m1, 'test-namespace', 'test-service', ['127.0.0.21']);
    await gatewayRoute(m1, 'helloworld', 'hello.example.org', '127.0.0.13');
    await eventually('ready', async () => (await fetch(`http://${metrics}/readyz`)).status, (s) => s === 200, 60_000);
    expect(sample(await (await fetch(`http://${metrics}/metrics`)).text(), 'mcdns_leader')).to.equal(1);

    // A DNSEndpoint as KubeFed left it (same name, no labels, no owner): mcdns adopts it.
    const custom = admin.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: 'test-namespace', plural: 'dnsendpoints',
      body: { apiVersion: 'externaldns.k8s.io/v1alpha1', kind: 'DNSEndpoint', metadata: { name: 'service-test-service' }, spec: { endpoints: [] } },
    });
    await kubectl(bed, 'host', ['apply', '-f', 'manifests/samples/']);
    const endpoint = (ns: string, name: string) => async () =>
      (await custom.getNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: ns, plural: 'dnsendpoints', name })) as DNSEndpoint;
    const targets = (e: DNSEndpoint) => (e.spec.endpoints ?? []).flatMap((x) => x.targets).sort().join(',');
    await eventually('ingress DNSEndpoint', endpoint('fed-namespace', 'ingress-fed-helloworld-ingress'), (e) => targets(e) === '127.0.0.11', 60_000);
    const svc = await eventually('service DNSEndpoint', endpoint('test-namespace', 'service-test-service'), (e) => (e.spec.endpoints ?? []).length >= 3, 60_000);
    expect(svc.spec.endpoints?.map((e) => e.dnsName)).to.include('test-service.test-namespace.test-domain.svc.eu-west-1a.eu-west-1.example.org');
    expect(svc.metadata.labels?.['app.kubernetes.io/managed-by'], 'adopted').to.equal('mcdns');
    expect(svc.metadata.ownerReferences?.[0]).to.include({ kind: 'ServiceDNSRecord', name: 'test-service' });
    const record = async (plural: string, ns: string, name: string) =>
      (await custom.getNamespacedCustomObject({ group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: ns, plural, name })) as DNSRecord;
    await eventually('route DNSEndpoint', endpoint('fed-namespace', 'route-helloworld'), (e) => targets(e) === '127.0.0.13', 60_000);
    // A second route while HTTPRoutes and Gateways are watched: read one by one (a LIST selecting its name).
    await gatewayRoute(m1, 'second', 'second.example.org', '127.0.0.14');
    await bed.apply('host', 'apiVersion: multiclusterdns.kubefed.io/v1alpha1\nkind: RouteDNSRecord\nmetadata: {name: second, namespace: fed-namespace}\nspec: {routeRef: {kind: HTTPRoute}}\n');
    await eventually('second route DNSEndpoint', endpoint('fed-namespace', 'route-second'), (e) => targets(e) === '127.0.0.14', 60_000);
    for (const [plural, ns, name] of [
      ['ingressdnsrecords', 'fed-namespace', 'fed-helloworld-ingress'],
      ['servicednsrecords', 'test-namespace', 'test-service'],
      ['routednsrecords', 'fed-namespace', 'helloworld'],
    ] as const) {
      await eventually(`${name} Ready`, () => record(plural, ns, name), (r) => r.status?.conditions?.[0]?.status === 'True', 30_000);
    }
    const eventsOf = async (ns: string, name: string) =>
      (await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns })).items.filter((e: CoreV1Event) => e.involvedObject.name === name);
    // A routine first publish records no Event (the RBAC for Events is proven by the ClusterOffline test below).
    expect((await eventsOf('fed-namespace', 'fed-helloworld-ingress')).map((e) => e.reason)).not.to.include('Published');

    await setIngressAddresses(m1, 'fed-namespace', 'helloworld-ingress', ['127.0.0.12']);
    await eventually('DNSEndpoint follows the LB', endpoint('fed-namespace', 'ingress-fed-helloworld-ingress'), (e) => targets(e) === '127.0.0.12', 60_000);
  });

  it('deletes the DNSEndpoint with its record', async () => {
    const custom = admin.makeApiClient(CustomObjectsApi);
    await custom.deleteNamespacedCustomObject({ group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: 'fed-namespace', plural: 'ingressdnsrecords', name: 'fed-helloworld-ingress' });
    await eventually(
      'DNSEndpoint gone',
      async () => {
        try {
          await custom.getNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: 'fed-namespace', plural: 'dnsendpoints', name: 'ingress-fed-helloworld-ingress' });
          return false;
        } catch (e) {
          return (e as { code?: number }).code === 404;
        }
      },
      (gone) => gone,
      60_000,
    );
  });

  it('was never refused, and used every permission the manifests grant (the rest is accounted for)', async () => {
    const refusedLines = (mcdns?.logs() ?? '').split('\n').filter((l) => /forbidden|"status":403/i.test(l));
    expect(refusedLines).to.deep.equal([]);
    // The Lease is renewed every 2 s: wait for a renewal to be in the log too.
    const hostGranted = new Set([...grantsOf('manifests/rbac.yaml', ['mcdns', 'mcdns-leader-election']), ...grantsOf('manifests/components/kubefed/rbac.yaml', ['mcdns-kubefed-clusters'])]);
    await eventually('a Lease renewal in the audit log', async () => usedOf(auditOf(bed.apiServer('host').logFile, HOST_SA)), (u) => u.has('coordination.k8s.io|leases|update'), 30_000);
    const hostEvents = auditOf(bed.apiServer('host').logFile, HOST_SA);
    const memberEvents = auditOf(bed.apiServer('member1').logFile, MEMBER_SA);
    expect(hostEvents.length, 'audit events of the controller on the host').to.be.greaterThan(10);
    expect(memberEvents.length, 'audit events of the controller on the member').to.be.greaterThan(4);
    const refused = [...hostEvents, ...memberEvents].filter((e) => e.responseStatus?.code === 403);
    expect(refused.map((e) => `${e.verb} ${e.requestURI}`)).to.deep.equal([]);

    const hostUsed = usedOf(hostEvents);
    expect([...hostUsed].filter((u) => !hostGranted.has(u)), 'used but not granted').to.deep.equal([]);
    expect([...hostGranted].filter((g) => !hostUsed.has(g) && !NOT_EXERCISED[g]), 'granted but never used').to.deep.equal([]);
    expect(Object.keys(NOT_EXERCISED).filter((g) => !hostGranted.has(g)), 'stale NOT_EXERCISED entries').to.deep.equal([]);
    expect(Object.keys(NOT_EXERCISED).filter((g) => hostUsed.has(g)), 'NOT_EXERCISED entries that were used').to.deep.equal([]);

    const memberGranted = grantsOf('manifests/member/member.yaml', ['mcdns-member']);
    const memberUsed = usedOf(memberEvents);
    expect([...memberUsed].filter((u) => !memberGranted.has(u))).to.deep.equal([]);
    expect([...memberGranted].filter((g) => !memberUsed.has(g) && !MEMBER_NOT_EXERCISED[g]), 'member: granted but never used').to.deep.equal([]);
    expect(Object.keys(MEMBER_NOT_EXERCISED).filter((g) => !memberGranted.has(g) || memberUsed.has(g)), 'stale MEMBER_NOT_EXERCISED entries').to.deep.equal([]);
  });

  it('needs ingressdnsrecords/finalizers where OwnerReferencesPermissionEnforcement is on', async () => {
    // A ServiceAccount with the ClusterRole minus that rule cannot create what mcdns creates.
    const role = parseAllDocuments(readFileSync('manifests/rbac.yaml', 'utf8'))[0]!.toJS() as { rules: Rule[] };
    const rules = role.rules.filter((r) => !(r.resources ?? []).some((x) => x.endsWith('/finalizers')));
    expect(rules.length).to.equal(role.rules.length - 1);
    const probe = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'probe', namespace: 'mcdns-system' } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'mcdns-probe' }, rules },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'mcdns-probe' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mcdns-probe' },
          subjects: [{ kind: 'ServiceAccount', name: 'probe', namespace: 'mcdns-system' }],
        },
      ],
    };
    const applyProbe = new Promise<void>((resolve, reject) => {
      const child = execFile(bins.kubectl(), [`--kubeconfig=${bed.kubeconfigPath}`, '--context=host', 'apply', '-f', '-'], (err, _o, stderr) =>
        err ? reject(new Error(stderr)) : resolve(),
      );
      child.stdin?.end(JSON.stringify(probe));
    });
    await applyProbe;
    const custom = admin.makeApiClient(CustomObjectsApi);
    const owner = (await custom.getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: 'test-namespace', plural: 'servicednsrecords', name: 'test-service',
    })) as DNSRecord;
    const token = (await kubectl(bed, 'host', ['create', 'token', 'probe', '-n', 'mcdns-system'])).stdout.trim();
    const dir = makeTempDir('probe');
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfig, [{ name: 'host', server: bed.apiServer('host').url, token, caPem: bed.apiServer('host').caPem }], 'host');
    const asProbe = kubeConfigFor(kubeconfig, 'host').makeApiClient(CustomObjectsApi);
    const body = (blockOwnerDeletion: boolean) => ({
      apiVersion: 'externaldns.k8s.io/v1alpha1',
      kind: 'DNSEndpoint',
      metadata: {
        name: `probe-${blockOwnerDeletion}`,
        namespace: 'test-namespace',
        ownerReferences: [{ apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'ServiceDNSRecord', name: 'test-service', uid: owner.metadata.uid!, controller: true, blockOwnerDeletion }],
      },
      spec: { endpoints: [] },
    });
    let refused: unknown;
    await asProbe
      .createNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: 'test-namespace', plural: 'dnsendpoints', body: body(true) })
      .catch((e: unknown) => (refused = e));
    expect((refused as { code?: number })?.code, 'blockOwnerDeletion without finalizers permission').to.equal(403);
    expect(String((refused as { body?: unknown }).body)).to.match(/blockOwnerDeletion/);
    await asProbe.createNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: 'test-namespace', plural: 'dnsendpoints', body: body(false) });
  });

  // Last, after the audit check: a restarted API server refuses requests (403) for a moment,
  // until its RBAC caches have filled.
  it('records ClusterOffline and ClusterOnline Events on the records a member serves', async () => {
    const eventsOf = async (ns: string, name: string) =>
      (await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns })).items.filter((e: CoreV1Event) => e.involvedObject.name === name);
    await bed.apiServer('member1').stop();
    const offline = await eventually('ClusterOffline', () => eventsOf('test-namespace', 'test-service'), (es) => es.some((e) => e.reason === 'ClusterOffline'), 60_000);
    const ev = offline.find((e) => e.reason === 'ClusterOffline')!;
    expect(ev.type).to.equal('Warning');
    expect(ev.message).to.match(/member cluster member1 is offline/);
    expect(ev.involvedObject).to.include({ kind: 'ServiceDNSRecord', name: 'test-service' });
    await bed.apiServer('member1').start();
    await eventually('ClusterOnline', () => eventsOf('test-namespace', 'test-service'), (es) => es.some((e) => e.reason === 'ClusterOnline' && e.type === 'Normal'), 90_000);
  });

});

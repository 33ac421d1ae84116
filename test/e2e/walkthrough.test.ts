// The walkthrough as a test: docs/install.md's and README's shell blocks, parsed out of the
// Markdown and run as written (test/env/walkthrough.ts), against a sandbox of real servers: a
// host and two member kube-apiservers, PowerDNS, ExternalDNS. Commands are pointed at the sandbox
// the way a user's shell is pointed at their clusters: KUBECONFIG (contexts host, member1,
// member2; host current), kubectl and helm on PATH, MCDNS_PDNS_SERVER and MCDNS_PDNS_API_KEY.
// A step of the docs that breaks fails here; a block this test neither runs nor skips with a
// reason fails too.
//
// The sandbox has API servers but no kubelet: test/env/kubelet.ts runs the Deployment's pods as
// a node would (the pod template's args, env and mounted Secrets, its ServiceAccount's token,
// its readinessProbe), and stands in for the members' ingress controller by giving Ingresses a
// loopback load-balancer address. So install.md's two paths, each on a fresh host with no KubeFed
// namespace or CRD, are the "Done when" of issue 23: `kubectl apply -k manifests/` and
// `helm install` with default values (and the members' kubeconfig Secret the page makes) end
// with Ready pods that publish the sample record; and another team's DNSEndpoint survives both
// documented uninstall paths (and the removal of mcdns's own records).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import { startBed, type Bed } from '../env/bed.js';
import { startExternalDns, type ExternalDnsHandle } from '../env/externaldns.js';
import { SandboxKubelet } from '../env/kubelet.js';
import { makeTempDir } from '../env/process.js';
import { bins } from '../env/tools.js';
import { DocRunner, shellBlocks, toolDir, type DocBlock } from '../env/walkthrough.js';
import { ensureNamespace, eventually } from '../env/workloads.js';
import { sample } from '../unit/metrics/metrics-text.js';

const INSTALL = 'docs/install.md';
const HOST = 'helloworld.example.org';
const OTHER = 'other.example.org';

/** Blocks of install.md no scenario runs, and why. */
const NEVER_RUN: Record<string, string> = {
  'docker build': 'no Docker engine here: test/unit/dockerfile.test.ts and test/e2e/image.test.ts check the Dockerfile and build its runtime stage\'s files',
};
const isNeverRun = (b: DocBlock) => Object.keys(NEVER_RUN).some((k) => b.text.trimStart().startsWith(k));

/** The blocks of install.md one installation path runs, in the page's order (the other path's subsections left out). */
function pathBlocks(path: 'kustomize' | 'helm'): DocBlock[] {
  const other = path === 'kustomize' ? '### With Helm' : '### With kustomize';
  return shellBlocks(INSTALL).filter((b) => !isNeverRun(b) && !b.headings.includes(other));
}

const REMOVING = /^### Removing mcdns's DNS records/;
const section = (blocks: DocBlock[], heading: RegExp) => blocks.filter((b) => b.headings.some((h) => heading.test(h)));

interface Sandbox {
  bed: Bed;
  host: KubeConfig;
  kubelet: SandboxKubelet;
  runner: DocRunner;
  externalDns?: ExternalDnsHandle;
  stopIngressController: () => void;
}

/** Plays the members' ingress controller: every Ingress without an address gets the member's loopback one. */
function ingressController(bed: Bed): () => void {
  const addresses: Record<string, string> = { member1: '127.0.0.11', member2: '127.0.0.12' };
  const timer = setInterval(() => {
    for (const m of bed.members) {
      const api = bed.kubeConfig(m).makeApiClient(NetworkingV1Api);
      void api
        .listIngressForAllNamespaces()
        .then(async ({ items }) => {
          for (const ing of items.filter((i) => !i.status?.loadBalancer?.ingress?.length)) {
            ing.status = { loadBalancer: { ingress: [{ ip: addresses[m]! }] } };
            await api.replaceNamespacedIngressStatus({ name: ing.metadata!.name!, namespace: ing.metadata!.namespace!, body: ing });
          }
        })
        .catch(() => undefined);
    }
  }, 500);
  return () => clearInterval(timer);
}

async function startSandbox(opts: { dnsEndpointCrd: boolean }): Promise<Sandbox> {
  const bed = await startBed({ members: ['member1', 'member2'], powerdns: true, externalDns: opts.dnsEndpointCrd, installDnsEndpointCrd: opts.dnsEndpointCrd });
  const host = bed.kubeConfig('host');
  const kubeconfig = path.join(makeTempDir('user'), 'config');
  fs.copyFileSync(bed.kubeconfigPath, kubeconfig);
  const runner = new DocRunner({
    PATH: [toolDir({ kubectl: bins.kubectl(), helm: bins.helm() }), path.resolve('node_modules/.bin'), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    HOME: makeTempDir('home'),
    KUBECONFIG: kubeconfig,
    MCDNS_PDNS_SERVER: bed.powerdns!.apiUrl,
    MCDNS_PDNS_API_KEY: bed.powerdns!.apiKey,
  });
  const kubelet = new SandboxKubelet({ admin: host, server: { url: bed.apiServer('host').url, caPem: bed.apiServer('host').caPem }, namespace: 'mcdns-system' }).start();
  return { bed, host, kubelet, runner, ...(bed.externalDns ? { externalDns: bed.externalDns } : {}), stopIngressController: ingressController(bed) };
}

async function stopSandbox(s: Sandbox | undefined, failed: boolean): Promise<void> {
  if (!s) return;
  if (failed || process.env['MCDNS_E2E_LOGS']) console.log(`${s.runner.transcript.join('\n')}\n${s.kubelet.logs()}`);
  s.stopIngressController();
  await s.runner.stop();
  await s.kubelet.stop();
  if (s.externalDns !== s.bed.externalDns) await s.externalDns?.stop();
  await s.bed.stop();
}

async function runAll(s: Sandbox, blocks: DocBlock[]): Promise<string> {
  let stdout = '';
  for (const b of blocks) stdout += (await s.runner.run(b)).stdout;
  return stdout;
}

const crdExists = async (kc: KubeConfig, name: string) =>
  kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name }).then(() => true, (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)));

async function dnsEndpoint(kc: KubeConfig, namespace: string, name: string): Promise<unknown> {
  return kc
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace, plural: 'dnsendpoints', name })
    .catch((e: { code?: number }) => (e.code === 404 ? undefined : Promise.reject(e)));
}

/** Another team's DNSEndpoint, nothing to do with mcdns. */
async function otherTeamsDnsEndpoint(s: Sandbox): Promise<void> {
  await ensureNamespace(s.host, 'team-x');
  await s.host.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: 'externaldns.k8s.io',
    version: 'v1alpha1',
    namespace: 'team-x',
    plural: 'dnsendpoints',
    body: { apiVersion: 'externaldns.k8s.io/v1alpha1', kind: 'DNSEndpoint', metadata: { name: 'other-team' }, spec: { endpoints: [{ dnsName: OTHER, recordType: 'A', targets: ['127.0.0.99'] }] } },
  });
}

async function expectNoKubeFed(s: Sandbox): Promise<void> {
  expect(await crdExists(s.host, 'kubefedclusters.core.kubefed.io'), 'a fresh API server: no KubeFedCluster CRD').to.equal(false);
  const namespaces = (await s.host.makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name);
  expect(namespaces, 'and no KubeFed namespace').to.not.include('kube-federation-system');
}

/** Both replicas Ready (the doc waited for it), one leads, each serves /readyz; the first log line names the build. */
async function expectReadyPods(s: Sandbox): Promise<void> {
  const pods = (await s.host.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'mcdns-system' })).items;
  expect(pods.map((p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status)).to.deep.equal(['True', 'True']);
  expect(s.kubelet.errors, 'what the sandbox kubelet could not do').to.deep.equal([]);
  let leaders = 0;
  for (const address of s.kubelet.addresses()) {
    expect((await fetch(`http://${address}/readyz`)).status).to.equal(200);
    const metrics = await (await fetch(`http://${address}/metrics`)).text();
    leaders += sample(metrics, 'mcdns_leader') ?? 0;
    expect(metrics).to.match(/^mcdns_build_info\{version="\d+\.\d+\.\d+[^"]*",commit="\w+",nodejs="[\d.]+"\} 1$/m);
  }
  expect(leaders).to.equal(1);
  expect(s.kubelet.logs(400)).to.match(/"message":"mcdns started".*"version":/);
  expect(s.kubelet.logs(400)).to.not.match(/forbidden|"status":403/i);
}

/**
 * One installation path of install.md on its own sandbox (started before, stopped after the
 * describe's tests): `run(heading)` runs the blocks under that heading not run yet, in order.
 */
function followPage(path: 'kustomize' | 'helm', opts: { dnsEndpointCrd: boolean; otherTeamFirst?: boolean }) {
  let s: Sandbox | undefined;
  const blocks = pathBlocks(path);
  const done = new Set<number>();
  before(async () => {
    s = await startSandbox({ dnsEndpointCrd: opts.dnsEndpointCrd });
    if (opts.otherTeamFirst) await otherTeamsDnsEndpoint(s);
  });
  after(async function () {
    await stopSandbox(s, this.currentTest?.state === 'failed');
  });
  const run = async (heading: RegExp, except = /^$/): Promise<string> => {
    const todo = section(blocks, heading).filter((b) => !done.has(b.line) && !b.headings.some((h) => except.test(h)));
    todo.forEach((b) => done.add(b.line));
    return runAll(s!, todo);
  };
  return { run, blocks, done, sandbox: () => s };
}

describe('the walkthrough: docs/install.md and README run as written on a sandbox', function () {
  this.timeout(600_000);

  it('has no block left out by accident: every ```sh block of install.md runs in a scenario or is skipped with a reason', () => {
    const all = shellBlocks(INSTALL);
    const run = new Set([...pathBlocks('kustomize'), ...pathBlocks('helm')].map((b) => b.line));
    expect(all.filter((b) => !run.has(b.line) && !isNeverRun(b)).map((b) => `${b.line}: ${b.text.split('\n')[0]}`)).to.deep.equal([]);
    expect(Object.keys(NEVER_RUN).filter((k) => !all.some((b) => b.text.trimStart().startsWith(k))), 'stale skips').to.deep.equal([]);
    for (const heading of [/^## 2\. /, /^## 3\. /, /^### With kustomize/, /^### With Helm/, /^## 6\. /, /^## 7\. /, /^## Uninstall/, /^### Removing mcdns's DNS records/]) {
      expect(section(all, heading).length, `blocks under ${heading}`).to.be.greaterThan(0);
    }
  });

  describe('install.md with kustomize, on a host without KubeFed and without the DNSEndpoint CRD', () => {
    const page = followPage('kustomize', { dnsEndpointCrd: false });
    const { run, blocks, done } = page;
    let s: Sandbox | undefined;
    beforeEach(() => (s = page.sandbox()));

    it('installs as the page says: members kubeconfig, namespace, CRDs, `kubectl apply -k manifests/`; the pods become Ready', async () => {
      await expectNoKubeFed(s!);
      expect(await crdExists(s!.host, 'dnsendpoints.externaldns.k8s.io')).to.equal(false);
      await run(/^## 2\. /);
      await run(/^## 3\. /);
      await run(/^## 4\. /);
      expect(await crdExists(s!.host, 'dnsendpoints.externaldns.k8s.io'), 'created where it was missing').to.equal(true);
      await expectReadyPods(s!);
      await expectNoKubeFed(s!);
      // ExternalDNS, installed next to mcdns (install.md step 5, its own chart in real life).
      s!.externalDns = await startExternalDns({ kubeconfig: s!.bed.kubeconfigPath, context: 'host', provider: { pdns: { apiUrl: s!.bed.powerdns!.apiUrl, apiKey: s!.bed.powerdns!.apiKey } }, domainFilter: 'example.org' });
      // Another team starts using the DNSEndpoint CRD mcdns's step installed.
      await otherTeamsDnsEndpoint(s!);
    });

    it('publishes the first record: the member\'s Ingress address reaches PowerDNS through the DNSEndpoint and ExternalDNS', async () => {
      const out = await run(/^## 6\. /);
      expect(out).to.match(/fed-helloworld-ingress\s+\["helloworld\.example\.org"\]/);
      expect(out).to.contain('ingress-fed-helloworld-ingress');
      await eventually('the DNS answer', () => s!.bed.powerdns!.query(HOST, 'A'), (a) => a.join() === '127.0.0.11', 90_000);
      await eventually('the other team\'s answer', () => s!.bed.powerdns!.query(OTHER, 'A'), (a) => a.join() === '127.0.0.99', 90_000);
    });

    it('audits the zone and plans a direct provider with mcdns audit and mcdns plan', async () => {
      const out = await run(/^## 7\. /);
      expect(out).to.match(new RegExp(`${HOST.replace(/\./g, '\\.')}\\s+A\\s+\\d+\\s+other owner\\s+mcdns-test`));
      expect(out).to.match(/! .*helloworld\.example\.org/);
    });

    it('uninstalls with `kubectl delete -k manifests/`: mcdns goes; every CRD, DNSEndpoint and DNS answer stays', async () => {
      await run(/^## Uninstall/, REMOVING);
      await eventually('the pods gone', async () => (await s!.host.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'mcdns-system' })).items.length, (n) => n === 0, 60_000);
      for (const crd of ['dnsendpoints.externaldns.k8s.io', 'ingressdnsrecords.multiclusterdns.kubefed.io', 'servicednsrecords.multiclusterdns.kubefed.io']) {
        expect(await crdExists(s!.host, crd), crd).to.equal(true);
      }
      expect(await dnsEndpoint(s!.host, 'team-x', 'other-team'), 'the other team\'s DNSEndpoint').to.not.equal(undefined);
      expect(await dnsEndpoint(s!.host, 'fed-namespace', 'ingress-fed-helloworld-ingress'), 'mcdns\'s, until removed on purpose').to.not.equal(undefined);
      await s!.externalDns!.waitForSync();
      expect(await s!.bed.powerdns!.query(HOST, 'A')).to.deep.equal(['127.0.0.11']);
      expect(await s!.bed.powerdns!.query(OTHER, 'A')).to.deep.equal(['127.0.0.99']);
    });

    it('removes mcdns\'s DNS records when asked to, step by step, and only those', async () => {
      await run(REMOVING);
      expect(await dnsEndpoint(s!.host, 'fed-namespace', 'ingress-fed-helloworld-ingress')).to.equal(undefined);
      expect(await dnsEndpoint(s!.host, 'team-x', 'other-team')).to.not.equal(undefined);
      await eventually('mcdns\'s name out of DNS', () => s!.bed.powerdns!.query(HOST, 'A'), (a) => a.length === 0, 90_000);
      expect(await s!.bed.powerdns!.query(OTHER, 'A')).to.deep.equal(['127.0.0.99']);
      expect(blocks.filter((b) => !done.has(b.line)).map((b) => `${b.line}: ${b.text.split('\n')[0]}`), 'blocks of the page not run').to.deep.equal([]);
    });
  });

  describe('install.md with Helm, default values, on a host where ExternalDNS and another team\'s DNSEndpoint came first', () => {
    const page = followPage('helm', { dnsEndpointCrd: true, otherTeamFirst: true });
    const { run, blocks, done } = page;
    let s: Sandbox | undefined;
    beforeEach(() => (s = page.sandbox()));

    it('installs with `helm install` and its default values: the pods become Ready; the DNSEndpoint CRD is left as ExternalDNS installed it', async () => {
      await expectNoKubeFed(s!);
      const before = (await s!.host.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: 'dnsendpoints.externaldns.k8s.io' })).metadata!;
      await run(/^## 2\. /);
      await run(/^## 3\. /);
      await run(/^## 4\. /);
      await expectReadyPods(s!);
      const after = (await s!.host.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: 'dnsendpoints.externaldns.k8s.io' })).metadata!;
      expect(after.resourceVersion, 'not touched').to.equal(before.resourceVersion);
      expect(after.annotations?.['meta.helm.sh/release-name'], 'not taken into the release').to.equal(undefined);
    });

    it('publishes the first record and audits the zone', async () => {
      await run(/^## 6\. /);
      await eventually('the DNS answer', () => s!.bed.powerdns!.query(HOST, 'A'), (a) => a.join() === '127.0.0.11', 90_000);
      await run(/^## 7\. /);
    });

    it('uninstalls with `helm uninstall`: every CRD, DNSEndpoint and DNS answer stays; then removes only mcdns\'s records', async () => {
      await run(/^## Uninstall/, REMOVING);
      for (const crd of ['dnsendpoints.externaldns.k8s.io', 'ingressdnsrecords.multiclusterdns.kubefed.io']) expect(await crdExists(s!.host, crd), crd).to.equal(true);
      expect(await dnsEndpoint(s!.host, 'team-x', 'other-team')).to.not.equal(undefined);
      expect(await dnsEndpoint(s!.host, 'fed-namespace', 'ingress-fed-helloworld-ingress')).to.not.equal(undefined);
      await s!.externalDns!.waitForSync();
      expect(await s!.bed.powerdns!.query(OTHER, 'A')).to.deep.equal(['127.0.0.99']);
      expect(await s!.bed.powerdns!.query(HOST, 'A')).to.deep.equal(['127.0.0.11']);
      await run(REMOVING);
      await eventually('mcdns\'s name out of DNS', () => s!.bed.powerdns!.query(HOST, 'A'), (a) => a.length === 0, 90_000);
      expect(await dnsEndpoint(s!.host, 'team-x', 'other-team')).to.not.equal(undefined);
      expect(await s!.bed.powerdns!.query(OTHER, 'A')).to.deep.equal(['127.0.0.99']);
      expect(blocks.filter((b) => !done.has(b.line)).map((b) => `${b.line}: ${b.text.split('\n')[0]}`), 'blocks of the page not run').to.deep.equal([]);
    });
  });

  describe('README: the quick start', () => {
    const README_SKIPS: Record<string, string> = {
      'npm ci && npm run demo': 'the two commands: npm test is the second; the demo is npm run demo',
      'npm ci && npm run build': 'npm test has built dist/ already (and npm ci ran before it)',
      'kubectl apply -k manifests/': 'the install paths: docs/install.md\'s walkthrough above runs them',
      'npx mcdns plan': 'placeholders (http://pdns:8081); install.md step 7 runs plan and audit against the sandbox',
    };
    let bed: Bed | undefined;
    let runner: DocRunner | undefined;

    after(async function () {
      if (this.currentTest?.state === 'failed' || process.env['MCDNS_E2E_LOGS']) console.log(`${runner?.transcript.join('\n')}\n${runner?.controllers.map((c) => c.logTail(60)).join('\n')}`);
      await runner?.stop();
      await bed?.stop();
    });

    it('runs every block but the skipped ones: --version, validate, the CRDs, and `mcdns run` with ~/.kube/config, which reconciles and stops cleanly', async () => {
      const blocks = shellBlocks('README.md');
      const skipped = (b: DocBlock) => Object.keys(README_SKIPS).some((k) => b.text.trimStart().startsWith(k));
      expect(Object.keys(README_SKIPS).filter((k) => !blocks.some((b) => b.text.trimStart().startsWith(k))), 'stale skips').to.deep.equal([]);
      bed = await startBed({ members: ['member1', 'member2'], powerdns: false, installDnsEndpointCrd: false });
      const home = makeTempDir('home');
      fs.mkdirSync(path.join(home, '.kube'));
      fs.copyFileSync(bed.kubeconfigPath, path.join(home, '.kube', 'config'));
      runner = new DocRunner({ PATH: [toolDir({ kubectl: bins.kubectl() }), path.resolve('node_modules/.bin'), '/usr/bin', '/bin'].join(':'), HOME: home });
      let out = '';
      for (const b of blocks.filter((x) => !skipped(x))) out += (await runner.run(b)).stdout;
      expect(out).to.match(/^\d+\.\d+\.\d+\S* \(commit \w+\)$/m);
      expect(runner.controllers.length, 'mcdns run started').to.equal(1);
      const controller = runner.controllers[0]!;
      await eventually('mcdns reconciling', async () => controller.logTail(200), (l) => /"message":"reconciling"/.test(l), 90_000);
      expect(controller.running).to.equal(true);
      await runner.stop();
      expect(controller.logTail(20), 'SIGTERM: a clean stop').to.match(/"message":"shutting down"[^]*"message":"stopped"/);
    });
  });
});

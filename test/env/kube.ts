// Kubeconfig files, client-node KubeConfigs, applying YAML and waiting for CRDs.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ApiextensionsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { sleep } from './process.js';
import { bins } from './tools.js';

export interface KubeconfigCluster {
  name: string;
  server: string;
  token: string;
  /** CA bundle; when absent the context uses insecure-skip-tls-verify. */
  caPem?: string;
}

/** Kubeconfig YAML with one cluster/user/context per entry, all named after the cluster. */
function kubeconfigYaml(clusters: KubeconfigCluster[], currentContext: string): string {
  if (!clusters.some((c) => c.name === currentContext)) {
    throw new Error(`kubeconfig: current context "${currentContext}" is not one of ${clusters.map((c) => c.name).join(',')}`);
  }
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': currentContext,
    clusters: clusters.map((c) => ({
      name: c.name,
      cluster: c.caPem
        ? { server: c.server, 'certificate-authority-data': Buffer.from(c.caPem, 'utf8').toString('base64') }
        : { server: c.server, 'insecure-skip-tls-verify': true },
    })),
    users: clusters.map((c) => ({ name: c.name, user: { token: c.token } })),
    contexts: clusters.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name, namespace: 'default' } })),
  });
}

export function writeKubeconfig(file: string, clusters: KubeconfigCluster[], currentContext: string): void {
  fs.writeFileSync(file, kubeconfigYaml(clusters, currentContext), { mode: 0o600 });
}

/** A copy of a kubeconfig file whose current-context is `context` (ExternalDNS uses current-context). */
export function writeKubeconfigForContext(source: string, target: string, context: string): void {
  const kc = new KubeConfig();
  kc.loadFromFile(source);
  if (!kc.getContextObject(context)) throw new Error(`kubeconfig ${source} has no context "${context}"`);
  kc.setCurrentContext(context);
  fs.writeFileSync(target, kc.exportConfig(), { mode: 0o600 });
}

/** A client-node KubeConfig loaded from `file` with `context` as current context. */
export function kubeConfigFor(file: string, context: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  if (!kc.getContextObject(context)) {
    throw new Error(`kubeconfig ${file} has no context "${context}" (has ${kc.getContexts().map((c) => c.name).join(', ')})`);
  }
  kc.setCurrentContext(context);
  return kc;
}

/** Parses (multi-document) YAML into objects, dropping empty documents. */
export function parseYamlObjects(text: string): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const obj = doc.toJS() as KubernetesObject | null;
    if (obj && typeof obj === 'object') out.push(obj);
  }
  return out;
}

export type Manifests = string | KubernetesObject | KubernetesObject[];

function toObjects(manifests: Manifests): KubernetesObject[] {
  if (typeof manifests === 'string') {
    const text = !manifests.includes('\n') && fs.existsSync(manifests) ? fs.readFileSync(manifests, 'utf8') : manifests;
    return parseYamlObjects(text);
  }
  return Array.isArray(manifests) ? manifests : [manifests];
}

/**
 * Applies objects (YAML text, a YAML file path, one object or a list) in order. CRDs go through
 * `kubectl apply`, as users install them: client-node's typed serializer would silently drop the
 * schema keys it names differently (`enum`, `x-kubernetes-validations`, ...), so enums and CEL
 * rules would not be enforced. Other objects are server-side applied with field manager
 * "mcdns-test-env" (force). CRDs are waited for until Established before the next object is
 * applied, so a CRD and its custom resources can share one file.
 */
export async function applyManifests(kc: KubeConfig, manifests: Manifests, opts: { timeoutMs?: number } = {}): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const obj of toObjects(manifests)) {
    const where = `${obj.kind ?? '?'} ${obj.metadata?.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata?.name ?? '?'}`;
    let res: KubernetesObject;
    try {
      res =
        obj.kind === 'CustomResourceDefinition'
          ? await kubectlApply(kc, obj)
          : await api.patch(obj, undefined, undefined, 'mcdns-test-env', true, PatchStrategy.ServerSideApply);
    } catch (e) {
      throw new Error(`apply ${where} on ${kc.getCurrentContext()}: ${(e as Error).message}`);
    }
    applied.push(res);
    if (obj.kind === 'CustomResourceDefinition' && obj.metadata?.name) {
      await waitForCrdEstablished(kc, obj.metadata.name, opts.timeoutMs);
    }
  }
  return applied;
}

/** `kubectl apply -f -` of one object with the KubeConfig's current context; the applied object. */
async function kubectlApply(kc: KubeConfig, obj: KubernetesObject): Promise<KubernetesObject> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcdns-kubectl-'));
  try {
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
    const out = await kubectl(file, ['apply', '-o', 'json', '-f', '-'], { input: JSON.stringify(obj) });
    return JSON.parse(out) as KubernetesObject;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until CRD `name` has condition Established=True (and NamesAccepted=True). */
export async function waitForCrdEstablished(kc: KubeConfig, name: string, timeoutMs = 30_000): Promise<V1CustomResourceDefinition> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  let last = 'not read yet';
  for (;;) {
    try {
      const crd = await api.readCustomResourceDefinition({ name });
      const conds = crd.status?.conditions ?? [];
      const ok = (t: string): boolean => conds.some((c) => c.type === t && c.status === 'True');
      if (ok('Established') && ok('NamesAccepted')) return crd;
      last = JSON.stringify(conds);
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`CRD ${name} on ${kc.getCurrentContext()} not Established after ${timeoutMs} ms: ${last}`);
    await sleep(200);
  }
}

/**
 * Runs the cached kubectl against a kubeconfig (and optionally a context); resolves with stdout,
 * rejects with stderr on a non-zero exit.
 */
export function kubectl(kubeconfig: string, args: string[], opts: { context?: string; input?: string; timeoutMs?: number } = {}): Promise<string> {
  const bin = bins.kubectl();
  const full = [`--kubeconfig=${kubeconfig}`, ...(opts.context ? [`--context=${opts.context}`] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(bin, full, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${full.slice(1).join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

// The sandbox's stand-in for a node: the test bed runs kube-apiservers only (no controller
// manager, no scheduler, no kubelet, no container runtime), so nothing would ever run a
// Deployment's pods. This does, for mcdns's Deployments in one namespace, what the Deployment
// controller, the scheduler and the kubelet would, as closely as one machine without containers
// allows:
// - it creates the Pods from the template (the API server admits them: Pod Security, the
//   ServiceAccount) and binds them to the node "sandbox", so `kubectl get pods` and
//   `kubectl wait --for=condition=Ready pod` work;
// - it runs each container as the image does: the Dockerfile's ENTRYPOINT (`node dist/mcdns.js`,
//   on this process's Node.js, from the repository root, the image's /app) and ENV, then the
//   container's args and env (values, the downward API, Secret keys);
// - it materialises the pod's volumes as files (Secret and ConfigMap volumes with their items,
//   emptyDir) and points the mount paths named in args and env at them (no container filesystem);
// - it binds each containerPort to a free loopback port, rewriting ":<port>" in args;
// - the process authenticates as the pod's ServiceAccount with a token bound to the Pod
//   (TokenRequest), handed over as a kubeconfig in KUBECONFIG: client-node's in-cluster config
//   reads a fixed path (/var/run/secrets/kubernetes.io/serviceaccount) a test cannot provide;
// - it probes the readinessProbe's httpGet as the kubelet does and sets the Pod's Ready condition;
// - a Pod stays Pending while a Secret it mounts is missing; a container that exits is restarted;
// - when the Deployment is gone (or its template changed) it stops the processes (SIGTERM) and
//   deletes the Pods;
// - it reports the Deployment's status as its controller does, so `kubectl rollout status` works.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Container,
  type V1Deployment,
  type V1EnvVar,
  type V1Pod,
  type V1Probe,
  type V1Volume,
} from '@kubernetes/client-node';
import { envOf, execForm, readDockerfile } from './dockerfile.js';
import { writeKubeconfig } from './kube.js';
import { freePort } from './ports.js';
import { ManagedProcess, makeTempDir } from './process.js';

/** The image the sandbox can run: mcdns's own. */
const MCDNS_IMAGE = /^ghcr\.io\/mcdns\/mcdns[:@]/;

export interface KubeletOptions {
  /** Admin access to the host (reads Secrets, creates Pods, sets their status). */
  admin: KubeConfig;
  /** The host API server as a pod sees it (the in-cluster address and CA). */
  server: { url: string; caPem: string };
  namespace: string;
  pollMs?: number;
}

interface RunningPod {
  deployment: string;
  templateHash: string;
  name: string;
  uid: string;
  dir: string;
  process?: ManagedProcess;
  port?: number;
  ready: boolean;
  restarts: number;
  exitedAt?: number;
  waiting?: string;
  /** What the Pod's status last said (written only when it changes). */
  reported?: string;
}

const hashOf = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 10);
const code = (e: unknown): number | undefined => (e as { code?: number }).code;

export class SandboxKubelet {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly pods = new Map<string, RunningPod>();
  /** Pods stopped so far, for their logs. */
  private readonly gone: RunningPod[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;
  /** Problems the sandbox cannot handle (another image, an unknown volume kind): a test fails on them. */
  readonly errors: string[] = [];

  constructor(private readonly opts: KubeletOptions) {
    this.core = opts.admin.makeApiClient(CoreV1Api);
    this.apps = opts.admin.makeApiClient(AppsV1Api);
  }

  start(): this {
    this.timer = setInterval(() => void this.tick(), this.opts.pollMs ?? 500);
    return this;
  }

  /** The log of every process this kubelet ran, for a failing test to print. */
  logs(lines = 60): string {
    return [...this.gone, ...this.pods.values()].map((p) => `--- pod ${p.name}${p.waiting ? ` (waiting: ${p.waiting})` : ''}\n${p.process?.logTail(lines) ?? '(not started)'}`).join('\n');
  }

  /** The metrics address (127.0.0.1:<port>) of each running pod. */
  addresses(): string[] {
    return [...this.pods.values()].filter((p) => p.port !== undefined).map((p) => `127.0.0.1:${p.port}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 50));
    await Promise.all([...this.pods.values()].map((p) => this.kill(p)));
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const { items } = await this.apps.listNamespacedDeployment({ namespace: this.opts.namespace });
      const wanted = new Map<string, V1Deployment>();
      for (const d of items) {
        const image = d.spec?.template.spec?.containers[0]?.image ?? '';
        if (MCDNS_IMAGE.test(image)) wanted.set(d.metadata!.name!, d);
      }
      const live = new Map((await this.core.listNamespacedPod({ namespace: this.opts.namespace })).items.map((p) => [p.metadata!.name!, p]));
      for (const pod of [...this.pods.values()]) {
        const d = wanted.get(pod.deployment);
        const deleted = !live.has(pod.name) || live.get(pod.name)!.metadata?.deletionTimestamp !== undefined;
        if (!d || hashOf(d.spec!.template) !== pod.templateHash || deleted) await this.kill(pod);
      }
      for (const [name, d] of wanted) {
        const mine = [...this.pods.values()].filter((p) => p.deployment === name);
        for (let i = mine.length; i < (d.spec?.replicas ?? 1); i++) await this.createPod(d);
        for (const extra of mine.slice(d.spec?.replicas ?? 1)) await this.kill(extra);
      }
      for (const pod of this.pods.values()) await this.run(pod, wanted.get(pod.deployment)!);
      for (const d of wanted.values()) await this.deploymentStatus(d);
    } catch (err) {
      this.errors.push(`tick: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** What the Deployment and ReplicaSet controllers and the scheduler do: a Pod from the template, bound here. */
  private async createPod(d: V1Deployment): Promise<void> {
    const template = d.spec!.template;
    const templateHash = hashOf(template);
    const name = `${d.metadata!.name}-${templateHash.slice(0, 6)}-${Math.random().toString(36).slice(2, 7)}`;
    const body: V1Pod = {
      metadata: {
        name,
        namespace: this.opts.namespace,
        labels: { ...template.metadata?.labels, 'pod-template-hash': templateHash.slice(0, 6) },
        annotations: template.metadata?.annotations,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata!.name!, uid: d.metadata!.uid!, controller: true }],
      },
      spec: { ...template.spec!, nodeName: 'sandbox' },
    };
    const created = await this.core.createNamespacedPod({ namespace: this.opts.namespace, body });
    this.pods.set(name, { deployment: d.metadata!.name!, templateHash, name, uid: created.metadata!.uid!, dir: makeTempDir(`pod-${name}`), ready: false, restarts: 0 });
  }

  /** What the kubelet does: start the container once its volumes exist, restart it, probe it. */
  private async run(pod: RunningPod, d: V1Deployment): Promise<void> {
    const spec = d.spec!.template.spec!;
    const container = spec.containers[0]!;
    if (!pod.process) {
      const started = await this.startContainer(pod, spec.volumes ?? [], container, spec.serviceAccountName ?? 'default');
      if (!started) return this.setStatus(pod);
    } else if (!pod.process.running) {
      // Restarted as restartPolicy Always does, after a (short) back-off.
      pod.ready = false;
      pod.exitedAt ??= Date.now();
      if (Date.now() - pod.exitedAt < 2_000) return this.setStatus(pod);
      pod.restarts++;
      pod.exitedAt = undefined;
      await pod.process.restart();
    }
    await this.probe(pod, container.readinessProbe, container);
  }

  private async startContainer(pod: RunningPod, volumes: V1Volume[], c: V1Container, serviceAccount: string): Promise<boolean> {
    const mounts = new Map<string, string>();
    for (const v of volumes) {
      const dir = path.join(pod.dir, 'volumes', v.name);
      const files = await this.volumeFiles(v);
      if (files === undefined) {
        pod.waiting = `volume ${v.name}: its Secret or ConfigMap does not exist`;
        return false;
      }
      fs.mkdirSync(dir, { recursive: true });
      for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), content, { mode: 0o600 });
      const mount = (c.volumeMounts ?? []).find((m) => m.name === v.name);
      if (mount) mounts.set(mount.mountPath, dir);
    }
    const ports = new Map<number, number>();
    for (const p of c.ports ?? []) ports.set(p.containerPort, await freePort());
    const env = await this.containerEnv(pod, c.env ?? []);
    if (env === undefined) return false;
    // One pass over all mount paths, longest first, so that a rewritten path is not rewritten again.
    const byLength = [...mounts.keys()].sort((a, b) => b.length - a.length);
    const mountPattern = new RegExp(`(^|=)(${byLength.map((m) => m.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})(?=/|$)`, 'g');
    const rewrite = (value: string): string => {
      let out = byLength.length > 0 ? value.replace(mountPattern, (_, pre: string, mountPath: string) => `${pre}${mounts.get(mountPath)!}`) : value;
      for (const [containerPort, hostPort] of ports) out = out.replace(new RegExp(`(^|=)(?:[\\w.-]*|\\[[^\\]]*\\]):${containerPort}$`), `$1127.0.0.1:${hostPort}`);
      return out;
    };
    // The pod's identity on the host: a token bound to this Pod, as the kubelet mounts it.
    const token = await this.core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace: this.opts.namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid } } },
    });
    const kubeconfig = path.join(pod.dir, 'in-cluster.kubeconfig');
    writeKubeconfig(kubeconfig, [{ name: 'in-cluster', server: this.opts.server.url, token: token.status?.token ?? '', caPem: this.opts.server.caPem }], 'in-cluster');
    const final = readDockerfile().at(-1)!;
    const entry = c.command ?? execForm(final, 'ENTRYPOINT')!;
    const home = path.join(pod.dir, 'home');
    fs.mkdirSync(home, { recursive: true });
    pod.process = ManagedProcess.start({
      name: `pod ${pod.name}`,
      command: process.execPath,
      args: [...entry.slice(1), ...(c.args ?? execForm(final, 'CMD') ?? [])].map(rewrite),
      logFile: path.join(pod.dir, 'container.log'),
      cwd: process.cwd(),
      env: { PATH: '/usr/bin:/bin', HOME: home, ...envOf(final), ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, rewrite(v)])), KUBECONFIG: kubeconfig },
    });
    const metrics = (c.ports ?? []).find((p) => p.name === 'metrics') ?? c.ports?.[0];
    if (metrics) pod.port = ports.get(metrics.containerPort);
    pod.waiting = undefined;
    return true;
  }

  /** The files of a volume, or undefined while its Secret or ConfigMap is missing. */
  private async volumeFiles(v: V1Volume): Promise<Record<string, string> | undefined> {
    const pick = (data: Record<string, string>, items: Array<{ key: string; path: string }> | undefined, decode: boolean) => {
      const text = (s: string) => (decode ? Buffer.from(s, 'base64').toString('utf8') : s);
      if (!items) return Object.fromEntries(Object.entries(data).map(([k, s]) => [k, text(s)]));
      return Object.fromEntries(items.filter((i) => data[i.key] !== undefined).map((i) => [i.path, text(data[i.key]!)]));
    };
    try {
      if (v.emptyDir) return {};
      if (v.secret) return pick((await this.core.readNamespacedSecret({ name: v.secret.secretName!, namespace: this.opts.namespace })).data ?? {}, v.secret.items, true);
      if (v.configMap) return pick((await this.core.readNamespacedConfigMap({ name: v.configMap.name!, namespace: this.opts.namespace })).data ?? {}, v.configMap.items, false);
      // The projected ServiceAccount token volume: given as KUBECONFIG instead (see the top).
      if (v.projected && v.name.startsWith('kube-api-access-')) return {};
    } catch (err) {
      if (code(err) === 404 && !(v.secret?.optional || v.configMap?.optional)) return undefined;
      if (code(err) === 404) return {};
      throw err;
    }
    this.errors.push(`volume ${v.name}: a kind the sandbox kubelet cannot mount`);
    return {};
  }

  private async containerEnv(pod: RunningPod, vars: V1EnvVar[]): Promise<Record<string, string> | undefined> {
    const env: Record<string, string> = {};
    for (const e of vars) {
      const field = e.valueFrom?.fieldRef?.fieldPath;
      const secret = e.valueFrom?.secretKeyRef;
      if (e.value !== undefined) env[e.name] = e.value;
      else if (field) {
        const values: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': this.opts.namespace, 'metadata.uid': pod.uid, 'spec.nodeName': 'sandbox', 'status.podIP': '127.0.0.1' };
        if (values[field] === undefined) this.errors.push(`env ${e.name}: fieldRef ${field} not known to the sandbox kubelet`);
        env[e.name] = values[field] ?? '';
      } else if (secret) {
        try {
          const s = await this.core.readNamespacedSecret({ name: secret.name!, namespace: this.opts.namespace });
          env[e.name] = Buffer.from(s.data?.[secret.key] ?? '', 'base64').toString('utf8');
        } catch (err) {
          if (code(err) !== 404) throw err;
          pod.waiting = `env ${e.name}: Secret ${secret.name} does not exist`;
          return undefined;
        }
      } else this.errors.push(`env ${e.name}: a source the sandbox kubelet cannot read`);
    }
    return env;
  }

  /** The readinessProbe's httpGet, as the kubelet runs it (its path, against the container's port). */
  private async probe(pod: RunningPod, probe: V1Probe | undefined, c: V1Container): Promise<void> {
    let ready = pod.process?.running === true;
    if (ready && probe?.httpGet && pod.port !== undefined) {
      const named = typeof probe.httpGet.port === 'string' ? c.ports?.find((p) => p.name === probe.httpGet!.port)?.containerPort : Number(probe.httpGet.port);
      if (named !== (c.ports?.find((p) => p.name === 'metrics') ?? c.ports?.[0])?.containerPort) this.errors.push(`readinessProbe port ${probe.httpGet.port}: not the metrics port`);
      try {
        const res = await fetch(`http://127.0.0.1:${pod.port}${probe.httpGet.path ?? '/'}`, { signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000) });
        ready = res.status >= 200 && res.status < 400;
        await res.body?.cancel();
      } catch {
        ready = false;
      }
    }
    pod.ready = ready;
    await this.setStatus(pod);
  }

  /** What the kubelet reports: phase, conditions, the container's state. */
  private async setStatus(pod: RunningPod): Promise<void> {
    const running = pod.process?.running === true;
    const summary = JSON.stringify([running, pod.ready, pod.restarts, pod.waiting]);
    if (summary === pod.reported) return;
    let current: V1Pod;
    try {
      current = await this.core.readNamespacedPod({ name: pod.name, namespace: this.opts.namespace });
    } catch (err) {
      if (code(err) === 404) return;
      throw err;
    }
    const now = new Date();
    const cond = (type: string, status: boolean) => ({ type, status: status ? 'True' : 'False', lastTransitionTime: now });
    current.status = {
      phase: running ? 'Running' : 'Pending',
      podIP: '127.0.0.1',
      hostIP: '127.0.0.1',
      startTime: current.status?.startTime ?? now,
      conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', pod.ready), cond('Ready', pod.ready)],
      containerStatuses: [
        {
          name: current.spec!.containers[0]!.name,
          image: current.spec!.containers[0]!.image!,
          imageID: '',
          ready: pod.ready,
          restartCount: pod.restarts,
          started: running,
          state: running ? { running: { startedAt: now } } : { waiting: { reason: 'ContainerCreating', message: pod.waiting } },
        },
      ],
    };
    await this.core.replaceNamespacedPodStatus({ name: pod.name, namespace: this.opts.namespace, body: current });
    pod.reported = summary;
  }

  /** What the Deployment controller reports once the Deployment's pods are up (kubectl rollout status reads it). */
  private async deploymentStatus(d: V1Deployment): Promise<void> {
    const pods = [...this.pods.values()].filter((p) => p.deployment === d.metadata!.name);
    const replicas = d.spec?.replicas ?? 1;
    const ready = pods.filter((p) => p.ready).length;
    const status = {
      observedGeneration: d.metadata!.generation,
      replicas: pods.length,
      updatedReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(0, replicas - ready),
    };
    const current = d.status ?? {};
    if (Object.entries(status).every(([k, v]) => (current as Record<string, unknown>)[k] === v || (v === 0 && (current as Record<string, unknown>)[k] === undefined))) return;
    const now = new Date();
    const available = ready >= replicas;
    d.status = {
      ...status,
      conditions: [
        { type: 'Available', status: available ? 'True' : 'False', reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', lastUpdateTime: now, lastTransitionTime: now },
        { type: 'Progressing', status: 'True', reason: available ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', lastUpdateTime: now, lastTransitionTime: now },
      ],
    };
    try {
      await this.apps.replaceNamespacedDeploymentStatus({ name: d.metadata!.name!, namespace: this.opts.namespace, body: d });
    } catch (err) {
      if (code(err) !== 409 && code(err) !== 404) throw err;
    }
  }

  /** Stops the container (SIGTERM, as on deletion) and removes the Pod, as the kubelet confirms a deletion. */
  private async kill(pod: RunningPod): Promise<void> {
    this.pods.delete(pod.name);
    this.gone.push(pod);
    await pod.process?.stop(35_000);
    try {
      await this.core.deleteNamespacedPod({ name: pod.name, namespace: this.opts.namespace, gracePeriodSeconds: 0 });
    } catch (err) {
      if (code(err) !== 404) throw err;
    }
  }
}

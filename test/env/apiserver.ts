// kube-apiserver (built by install-tools.sh) on 127.0.0.1: one API server per cluster, all sharing
// one etcd with distinct --etcd-prefix. No controller-manager, no scheduler, no kubelet: tests
// set status (e.g. Ingress status.loadBalancer) themselves through the status subresource.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import type { EtcdHandle } from './etcd.js';
import { writeKubeconfig, type KubeconfigCluster } from './kube.js';
import { freePort } from './ports.js';
import { ManagedProcess, makeTempDir, removeTempDir, waitUntil } from './process.js';
import { bins } from './tools.js';

export interface ApiServerHandle {
  /** Cluster name = kubeconfig context name = etcd prefix suffix. */
  name: string;
  port: number;
  /** https://127.0.0.1:<port> */
  url: string;
  /** Bearer token of a user in group system:masters. */
  token: string;
  /** PEM bundle (serving cert + its self-signed CA) the API server wrote into its cert dir. */
  caFile: string;
  caPem: string;
  etcdPrefix: string;
  dir: string;
  logFile: string;
  process: ManagedProcess;
  /** GET /readyz returns 200 now. */
  isReady(): Promise<boolean>;
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops the API server (SIGTERM, then SIGKILL); its port then refuses connections. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same flags, cert, token and etcd prefix. */
  start(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
}

export interface ApiServersOptions {
  etcd: EtcdHandle;
  /** Cluster names, e.g. ['host', 'member1', 'member2']. */
  clusters: string[];
  /** Context that becomes current-context of the kubeconfig (default: first cluster). */
  currentContext?: string;
  /** Extra kube-apiserver flags for every server. */
  extraArgs?: string[];
  startTimeoutMs?: number;
}

export interface ApiServers {
  servers: Record<string, ApiServerHandle>;
  /** Kubeconfig with one context per cluster (context = cluster = user name), token auth. */
  kubeconfigPath: string;
  /** Root temp dir (shared SA key pair, kubeconfig, one sub-dir per API server). */
  dir: string;
  stop(): Promise<void>;
}

/** GET path on an API server with a bearer token, verifying TLS against caPem. */
function apiGet(
  url: string,
  token: string,
  caPem: string | undefined,
  timeoutMs = 3000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
        ca: caPem,
        rejectUnauthorized: caPem !== undefined,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function startApiServers(opts: ApiServersOptions): Promise<ApiServers> {
  if (opts.clusters.length === 0) throw new Error('startApiServers: no clusters given');
  if (new Set(opts.clusters).size !== opts.clusters.length) throw new Error(`startApiServers: duplicate cluster names in ${opts.clusters.join(',')}`);
  for (const c of opts.clusters) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(c)) throw new Error(`startApiServers: cluster name "${c}" must be a DNS label`);
  }
  const binary = bins.kubeApiserver();
  const root = makeTempDir('kube');
  const servers: Record<string, ApiServerHandle> = {};

  const stopAll = async (): Promise<void> => {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    removeTempDir(root);
  };

  try {
    // One service-account key pair shared by all servers (each cluster could have its own, but
    // nothing in the tests issues SA tokens).
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const saKey = path.join(root, 'sa.key');
    const saPub = path.join(root, 'sa.pub');
    fs.writeFileSync(saKey, privateKey, { mode: 0o600 });
    fs.writeFileSync(saPub, publicKey);

    for (const name of opts.clusters) {
      const dir = path.join(root, name);
      const certDir = path.join(dir, 'certs');
      fs.mkdirSync(certDir, { recursive: true });
      const token = randomBytes(24).toString('hex');
      const tokenFile = path.join(dir, 'tokens.csv');
      // token,user,uid,"group1,group2"
      fs.writeFileSync(tokenFile, `${token},admin-${name},admin-${name},"system:masters"\n`, { mode: 0o600 });
      const port = await freePort();
      const etcdPrefix = `/mcdns/${name}`;
      const logFile = path.join(dir, 'kube-apiserver.log');
      const args = [
        `--etcd-servers=${opts.etcd.clientUrl}`,
        `--etcd-prefix=${etcdPrefix}`,
        `--cert-dir=${certDir}`,
        `--secure-port=${port}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        '--disable-admission-plugins=ServiceAccount',
        '--authorization-mode=RBAC',
        `--token-auth-file=${tokenFile}`,
        `--service-account-issuer=https://kubernetes.default.svc.${name}.local`,
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        // Nothing in the bed would collect events or leases; keep the shared etcd small.
        '--event-ttl=10m',
        '--v=1',
        ...(opts.extraArgs ?? []),
      ];
      const url = `https://127.0.0.1:${port}`;
      const caFile = path.join(certDir, 'apiserver.crt');
      let proc: ManagedProcess | undefined;
      const handle: ApiServerHandle = {
        name,
        port,
        url,
        token,
        caFile,
        caPem: '',
        etcdPrefix,
        dir,
        logFile,
        get process(): ManagedProcess {
          if (!proc) throw new Error(`kube-apiserver ${name} was never started`);
          return proc;
        },
        async isReady() {
          if (!handle.caPem) return false;
          try {
            const r = await apiGet(`${url}/readyz`, token, handle.caPem);
            return r.status === 200;
          } catch {
            return false;
          }
        },
        async waitReady(timeoutMs = opts.startTimeoutMs ?? 90_000) {
          await waitUntil(
            `kube-apiserver ${name} /readyz`,
            async () => {
              if (!handle.caPem) {
                // The API server writes its self-signed serving cert (leaf + CA) on first start.
                if (!fs.existsSync(caFile)) return false;
                handle.caPem = fs.readFileSync(caFile, 'utf8');
              }
              const r = await apiGet(`${url}/readyz`, token, handle.caPem);
              if (r.status !== 200) throw new Error(`/readyz: HTTP ${r.status} ${r.body.slice(0, 500)}`);
              return true;
            },
            { timeoutMs, intervalMs: 250, proc },
          );
        },
        async stop() {
          if (proc) await proc.stop(10_000);
        },
        async start() {
          if (proc?.running) return;
          if (proc) await proc.restart();
          else proc = ManagedProcess.start({ name: `kube-apiserver ${name}`, command: binary, args, logFile, cwd: dir });
          await handle.waitReady();
        },
        async restart() {
          await handle.stop();
          await handle.start();
        },
      };
      servers[name] = handle;
    }

    await Promise.all(Object.values(servers).map((s) => s.start()));

    const kubeconfigPath = path.join(root, 'kubeconfig');
    const clusters: KubeconfigCluster[] = Object.values(servers).map((s) => ({
      name: s.name,
      server: s.url,
      token: s.token,
      caPem: s.caPem,
    }));
    writeKubeconfig(kubeconfigPath, clusters, opts.currentContext ?? opts.clusters[0]!);
    return { servers, kubeconfigPath, dir: root, stop: stopAll };
  } catch (e) {
    await stopAll().catch(() => undefined);
    throw e;
  }
}

// Real ExternalDNS (built by install-tools.sh) reading DNSEndpoint objects from the host cluster
// (--source=crd) and writing to PowerDNS (or CoreDNS/etcd) on loopback.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { applyManifests, kubeConfigFor, waitForCrdEstablished, writeKubeconfigForContext, type Manifests } from './kube.js';
import { freePort } from './ports.js';
import { ManagedProcess, makeTempDir, removeTempDir, sleep, waitUntil } from './process.js';
import { bins, versions } from './tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Finds the repository root (the directory with package.json) from this file, in src or dist. */
function repoRoot(): string {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

const DNSENDPOINT_CRD_NAME = 'dnsendpoints.externaldns.k8s.io';

/**
 * The DNSEndpoint CRD file: manifests/crds/externaldns/dnsendpoints.externaldns.k8s.io.yaml if the project
 * generated one, else the copy of ExternalDNS's own CRD under test/env/fixtures/.
 */
function defaultDnsEndpointCrdPath(): string {
  const root = repoRoot();
  const candidates = [
    path.join(root, 'manifests', 'crds', 'externaldns', `${DNSENDPOINT_CRD_NAME}.yaml`),
    path.join(root, 'test', 'env', 'fixtures', `${DNSENDPOINT_CRD_NAME}.yaml`),
  ];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`DNSEndpoint CRD not found (looked at ${candidates.join(', ')})`);
  return found;
}

/** Installs the DNSEndpoint CRD (default: defaultDnsEndpointCrdPath()) and waits until Established. */
export async function installDnsEndpointCrd(kc: KubeConfig, crd?: Manifests): Promise<void> {
  await applyManifests(kc, crd ?? defaultDnsEndpointCrdPath());
}

type ExternalDnsProvider =
  | { pdns: { apiUrl: string; apiKey: string } }
  | { coredns: { etcdUrl: string } };

export interface ExternalDnsOptions {
  /** Kubeconfig file with a context for the host cluster. */
  kubeconfig: string;
  /** Context ExternalDNS reads DNSEndpoints from (default 'host'); becomes current-context of its own copy. */
  context?: string;
  provider: ExternalDnsProvider;
  /** --domain-filter (one flag per entry). */
  domainFilter: string | string[];
  /** --txt-owner-id (default 'mcdns-test'). */
  ownerId?: string;
  /** --interval (default '10s'). */
  interval?: string;
  /** --min-event-sync-interval (default '1s'). */
  minEventSyncInterval?: string;
  /** --policy (default 'sync'). */
  policy?: 'sync' | 'upsert-only' | 'create-only';
  /** Binary version in the cache (default versions.externalDns). */
  version?: string;
  /** Extra flags, e.g. ['--txt-prefix=cname-', '--crd-source-apiversion=...', '--log-level=debug']. */
  extraArgs?: string[];
  /**
   * Leave --events, --interval and --min-event-sync-interval out, so ExternalDNS runs with its
   * own defaults for them (the benchmarks compare against ExternalDNS as shipped). Default false.
   */
  upstreamDefaults?: boolean;
  /** Wait for the first successful sync with the provider before resolving (default true). */
  waitForFirstSync?: boolean;
  startTimeoutMs?: number;
}

export interface ExternalDnsHandle {
  version: string;
  ownerId: string;
  metricsPort: number;
  /** http://127.0.0.1:<metricsPort> (/healthz, /metrics). */
  metricsUrl: string;
  args: string[];
  dir: string;
  logFile: string;
  process: ManagedProcess;
  /** Full log so far. */
  logs(): string;
  /** Raw Prometheus metrics text. */
  metrics(): Promise<string>;
  /** Value of one unlabelled metric, e.g. 'external_dns_controller_last_sync_timestamp_seconds'; undefined if absent. */
  metric(name: string): Promise<number | undefined>;
  /** Unix seconds of the last successful sync with the provider (0 before the first). */
  lastSync(): Promise<number>;
  /** Waits for a successful sync that started after `afterUnixSeconds` (default: now). */
  waitForSync(afterUnixSeconds?: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

function parseMetric(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ')) return Number(line.slice(name.length + 1).trim());
  }
  return undefined;
}

export async function startExternalDns(opts: ExternalDnsOptions): Promise<ExternalDnsHandle> {
  const version = opts.version ?? versions.externalDns;
  const binary = bins.externalDns(version);
  const context = opts.context ?? 'host';
  const kc = kubeConfigFor(opts.kubeconfig, context);
  // Fail early with a clear message rather than letting ExternalDNS crash-loop.
  await waitForCrdEstablished(kc, DNSENDPOINT_CRD_NAME, 5_000).catch((e: Error) => {
    throw new Error(`ExternalDNS needs the DNSEndpoint CRD on "${context}" first (installDnsEndpointCrd): ${e.message}`);
  });

  const dir = makeTempDir('external-dns');
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeKubeconfigForContext(opts.kubeconfig, kubeconfig, context);
  const metricsPort = await freePort();
  const ownerId = opts.ownerId ?? 'mcdns-test';
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Keep every HTTP client on loopback even if the environment has a proxy.
  for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy']) delete env[k];
  const providerArgs: string[] = [];
  if ('pdns' in opts.provider) {
    providerArgs.push('--provider=pdns', `--pdns-server=${opts.provider.pdns.apiUrl}`, `--pdns-api-key=${opts.provider.pdns.apiKey}`);
  } else {
    providerArgs.push('--provider=coredns');
    env['ETCD_URLS'] = opts.provider.coredns.etcdUrl;
  }
  const domains = Array.isArray(opts.domainFilter) ? opts.domainFilter : [opts.domainFilter];
  const args = [
    '--source=crd',
    ...providerArgs,
    '--registry=txt',
    `--txt-owner-id=${ownerId}`,
    `--policy=${opts.policy ?? 'sync'}`,
    ...(opts.upstreamDefaults
      ? []
      : ['--events', `--interval=${opts.interval ?? '10s'}`, `--min-event-sync-interval=${opts.minEventSyncInterval ?? '1s'}`]),
    `--kubeconfig=${kubeconfig}`,
    ...domains.map((d) => `--domain-filter=${d}`),
    `--metrics-address=127.0.0.1:${metricsPort}`,
    ...(opts.extraArgs ?? []),
  ];
  const logFile = path.join(dir, 'external-dns.log');
  const proc = ManagedProcess.start({ name: `external-dns ${version}`, command: binary, args, logFile, cwd: dir, env });
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;

  const metrics = async (): Promise<string> => {
    const res = await fetch(`${metricsUrl}/metrics`);
    if (!res.ok) throw new Error(`ExternalDNS /metrics: HTTP ${res.status}`);
    return res.text();
  };
  const lastSync = async (): Promise<number> => parseMetric(await metrics(), 'external_dns_controller_last_sync_timestamp_seconds') ?? 0;
  const timeoutMs = opts.startTimeoutMs ?? 60_000;

  const waitForSync = (after = Date.now() / 1000, t = timeoutMs): Promise<number> =>
    waitUntil(
      `an ExternalDNS sync after ${new Date(after * 1000).toISOString()}`,
      async () => {
        const ts = await lastSync();
        return ts > after ? ts : undefined;
      },
      { timeoutMs: t, intervalMs: 200, proc },
    );

  const waitStarted = async (): Promise<void> => {
    await waitUntil('ExternalDNS /healthz', async () => (await fetch(`${metricsUrl}/healthz`)).ok, { timeoutMs, proc });
    if (opts.waitForFirstSync ?? true) await waitForSync(0);
  };

  const stop = async (): Promise<void> => {
    await proc.stop();
    removeTempDir(dir);
  };

  try {
    await waitStarted();
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    version,
    ownerId,
    metricsPort,
    metricsUrl,
    args,
    dir,
    logFile,
    process: proc,
    logs: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    metrics,
    metric: async (name) => parseMetric(await metrics(), name),
    lastSync,
    waitForSync,
    stop,
    async restart() {
      await proc.restart();
      await sleep(100);
      await waitStarted();
    },
  };
}

// mcdns replicas for the fault matrix: the built CLI on the bed, each with its own counting
// (and delaying) proxy in front of PowerDNS, so that every write is seen and attributed, and,
// under leader election, its own TCP proxy in front of the host API server, so that one replica
// can be cut off from the Lease.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Bed } from '../env/bed.js';
import { startCountingProxy, type CountingProxy } from '../env/counting-proxy.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { makeTempDir } from '../env/process.js';
import { startTcpProxy, type TcpProxy } from '../env/tcp-proxy.js';
import { eventually } from '../env/workloads.js';
import { sample } from '../unit/metrics/metrics-text.js';

export const OWNER = 'mcdns-chaos';
export const LEASE_NS = 'mcdns-system';

export interface Replica {
  label: string;
  handle: McdnsHandle;
  /** Between this replica and PowerDNS. */
  pdns: CountingProxy;
  /** Between this replica and the host API server (leader election only). */
  host?: TcpProxy;
  metrics: string;
  identity: string;
}

export interface ReplicaOptions {
  leaderElect?: boolean;
  /** Whole seconds (leader election). */
  leaseSeconds?: number;
  extra?: string[];
}

/** A kubeconfig like the bed's whose host context goes through `port` on 127.0.0.1. */
function kubeconfigVia(bed: Bed, port: number): string {
  const doc = parse(readFileSync(bed.kubeconfigPath, 'utf8')) as { clusters: Array<{ name: string; cluster: { server: string } }> };
  for (const c of doc.clusters) if (c.name === bed.host) c.cluster.server = `https://127.0.0.1:${port}`;
  const file = join(makeTempDir('chaos-kubeconfig'), 'kubeconfig');
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}

export async function startReplica(bed: Bed, label: string, opts: ReplicaOptions = {}): Promise<Replica> {
  const pdns = await startCountingProxy(bed.powerdns!.apiUrl);
  const host = opts.leaderElect ? await startTcpProxy(bed.apiServer(bed.host).port) : undefined;
  const port = await freePort();
  const kubeconfigPath = host ? kubeconfigVia(bed, host.port) : bed.kubeconfigPath;
  const handle = startMcdns(
    [
      ...bedFlags({ ...bed, kubeconfigPath }),
      '--provider=powerdns',
      `--pdns-server=${pdns.url}`,
      `--txt-owner-id=${OWNER}`,
      '--heartbeat-interval=1s',
      `--metrics-address=127.0.0.1:${port}`,
      ...(opts.leaderElect ? ['--leader-elect', `--leader-election-namespace=${LEASE_NS}`, `--lease-duration=${opts.leaseSeconds ?? 5}s`] : []),
      ...(opts.extra ?? []),
    ],
    { MCDNS_PDNS_API_KEY: bed.powerdns!.apiKey },
  );
  const identity = await eventually(
    `${label} started`,
    async () => {
      if (!handle.process.running) throw new Error(`${label} exited: ${handle.logs()}`);
      for (const line of handle.logs().split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { message?: string; leaderElection?: { identity?: string } };
        if (entry.message === 'mcdns started') return entry.leaderElection?.identity ?? label;
      }
      return '';
    },
    (id) => id !== '',
    60_000,
    100,
  );
  return { label, handle, pdns, host, metrics: `127.0.0.1:${port}`, identity };
}

export async function isLeader(r: Replica): Promise<boolean> {
  try {
    return sample(await (await fetch(`http://${r.metrics}/metrics`)).text(), 'mcdns_leader') === 1;
  } catch {
    return false;
  }
}

export async function isReady(r: Replica): Promise<boolean> {
  try {
    return (await fetch(`http://${r.metrics}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

/** The one replica of `rs` that leads, once exactly one does. */
export async function leaderOf(rs: Replica[], timeoutMs = 60_000): Promise<Replica> {
  const flags = await eventually('exactly one leader', () => Promise.all(rs.map(isLeader)), (f) => f.filter(Boolean).length === 1, timeoutMs, 100);
  return rs[flags.indexOf(true)]!;
}

/** kill -9 of the replica's process group: no release, no flush. */
export function kill9(r: Replica): void {
  process.kill(-r.handle.process.pid!, 'SIGKILL');
}

export async function stopReplica(r: Replica): Promise<void> {
  await r.handle.stop();
  await r.pdns.close();
  await r.host?.close();
}

/** PowerDNS writes a replica sent (arrival at its proxy) at or after `since`. */
export function writesSince(r: Replica, since: number): number {
  return r.pdns.requests().filter((q) => q.write && q.at >= since).length;
}

// etcd (Debian's etcd-server package, 3.4.x) on 127.0.0.1 with a temp data dir.
import * as path from 'node:path';
import { freePort } from './ports.js';
import { ManagedProcess, makeTempDir, removeTempDir, waitUntil } from './process.js';
import { bins } from './tools.js';

export interface EtcdHandle {
  /** http://127.0.0.1:<client port> */
  clientUrl: string;
  clientPort: number;
  peerPort: number;
  dir: string;
  logFile: string;
  process: ManagedProcess;
  /** Puts one key through etcd's v3 JSON gateway. */
  put(key: string, value: string): Promise<void>;
  /** All keys (and values) under a prefix, sorted by key. */
  getPrefix(prefix: string): Promise<Array<{ key: string; value: string }>>;
  /** Deletes every key under a prefix; returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  stop(): Promise<void>;
}

export interface EtcdOptions {
  startTimeoutMs?: number;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

/** The key just past every key that starts with prefix (etcd range_end for a prefix). */
function prefixEnd(prefix: string): string {
  const buf = Buffer.from(prefix, 'utf8');
  for (let i = buf.length - 1; i >= 0; i--) {
    if (buf[i]! < 0xff) {
      buf[i] = buf[i]! + 1;
      return buf.subarray(0, i + 1).toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}

export async function startEtcd(opts: EtcdOptions = {}): Promise<EtcdHandle> {
  const etcd = bins.etcd();
  const dir = makeTempDir('etcd');
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const logFile = path.join(dir, 'etcd.log');
  const proc = ManagedProcess.start({
    name: 'etcd',
    command: etcd,
    args: [
      '--name=default',
      `--data-dir=${path.join(dir, 'data')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      '--initial-cluster-state=new',
      '--logger=zap',
      '--log-outputs=stderr',
      '--quota-backend-bytes=4294967296',
    ],
    logFile,
    cwd: dir,
  });

  const post = async (api: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${clientUrl}/v3/${api}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`etcd ${api}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  const stop = async (): Promise<void> => {
    await proc.stop();
    removeTempDir(dir);
  };

  try {
    await waitUntil(
      'etcd /health',
      async () => {
        const res = await fetch(`${clientUrl}/health`);
        const body = (await res.json()) as { health?: string };
        return res.ok && body.health === 'true';
      },
      { timeoutMs: opts.startTimeoutMs ?? 30_000, proc },
    );
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    clientUrl,
    clientPort,
    peerPort,
    dir,
    logFile,
    process: proc,
    async put(key, value) {
      await post('kv/put', { key: b64(key), value: b64(value) });
    },
    async getPrefix(prefix) {
      const r = await post('kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) });
      const kvs = (r['kvs'] as Array<{ key: string; value?: string }> | undefined) ?? [];
      return kvs.map((kv) => ({ key: unb64(kv.key), value: unb64(kv.value ?? '') })).sort((a, b) => (a.key < b.key ? -1 : 1));
    },
    async deletePrefix(prefix) {
      const r = await post('kv/deleterange', { key: b64(prefix), range_end: prefixEnd(prefix) });
      return Number(r['deleted'] ?? 0);
    },
    stop,
  };
}

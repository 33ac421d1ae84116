// CoreDNS (built by install-tools.sh) serving zones from etcd (SkyDNS layout, etcd plugin) on a
// 127.0.0.1 free port.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lookup, query, waitForAnswer, type DnsResult } from './dns.js';
import type { EtcdHandle } from './etcd.js';
import { freePort } from './ports.js';
import { ManagedProcess, makeTempDir, removeTempDir, waitUntil } from './process.js';
import { bins, versions } from './tools.js';

export interface CoreDnsOptions {
  etcd: EtcdHandle | { clientUrl: string };
  /** Zones served from etcd (e.g. 'example.org'). */
  zones: string | string[];
  /** etcd key prefix (default '/skydns'). */
  path?: string;
  version?: string;
  /** Extra plugin lines inside the etcd server block (e.g. 'cache 1' is NOT added by default). */
  extraPlugins?: string[];
  startTimeoutMs?: number;
}

export interface CoreDnsHandle {
  port: number;
  version: string;
  etcdPath: string;
  corefile: string;
  dir: string;
  logFile: string;
  process: ManagedProcess;
  query(name: string, type?: string): Promise<string[]>;
  lookup(name: string, type?: string): Promise<DnsResult>;
  waitForAnswer(name: string, type: string, accept?: (a: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startCoreDns(opts: CoreDnsOptions): Promise<CoreDnsHandle> {
  const version = opts.version ?? versions.coredns;
  const binary = bins.coredns(version);
  const zones = (Array.isArray(opts.zones) ? opts.zones : [opts.zones]).map((z) => z.replace(/\.$/, ''));
  if (zones.length === 0) throw new Error('startCoreDns: no zones');
  const etcdPath = opts.path ?? '/skydns';
  const dir = makeTempDir('coredns');
  const port = await freePort();
  const corefile = [
    `${zones.map((z) => `${z}:${port}`).join(' ')} {`,
    '    bind 127.0.0.1',
    '    etcd {',
    `        path ${etcdPath}`,
    `        endpoint ${opts.etcd.clientUrl}`,
    '    }',
    ...(opts.extraPlugins ?? []).map((l) => `    ${l}`),
    '    errors',
    '    log',
    '}',
    '',
  ].join('\n');
  const corefilePath = path.join(dir, 'Corefile');
  fs.writeFileSync(corefilePath, corefile);
  const logFile = path.join(dir, 'coredns.log');
  const proc = ManagedProcess.start({
    name: `coredns ${version}`,
    command: binary,
    args: ['-conf', corefilePath, '-dns.port', String(port)],
    logFile,
    cwd: dir,
  });
  const server = { port };
  const stop = async (): Promise<void> => {
    await proc.stop();
    removeTempDir(dir);
  };
  try {
    await waitUntil('CoreDNS to answer', async () => (await lookup(server, zones[0]!, 'SOA')).status.length > 0, {
      timeoutMs: opts.startTimeoutMs ?? 20_000,
      proc,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    port,
    version,
    etcdPath,
    corefile,
    dir,
    logFile,
    process: proc,
    query: (name, type = 'A') => query(server, name, type),
    lookup: (name, type = 'A') => lookup(server, name, type),
    waitForAnswer: (name, type, accept, timeoutMs) => waitForAnswer(server, name, type, accept, { timeoutMs }),
    stop,
  };
}

// A caching recursive resolver between clients and the sandbox's authoritative server, as
// clients meet DNS in production: Debian's unbound, run in the foreground with a generated
// config on a 127.0.0.0/8 address, sending the zone's queries to the authoritative server
// (a stub zone, as an ISP or corporate resolver reaches a delegated zone). No system service,
// no DNSSEC validation, no root hints: it can reach nothing but that server.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Resolver } from 'node:dns/promises';
import { freePort } from './ports.js';
import { ManagedProcess, makeTempDir, removeTempDir, waitUntil } from './process.js';
import { bins } from './tools.js';

export interface UnboundOptions {
  /** Listen address on 127.0.0.0/8 (default 127.0.0.54; 127.0.0.53 is systemd-resolved's). */
  address?: string;
  /** The zone sent to the authoritative server, e.g. example.org. */
  zone: string;
  /** The authoritative server (on 127.0.0.0/8). */
  authoritative: { host: string; port: number };
}

export interface UnboundHandle {
  address: string;
  port: number;
  /** `unbound -V`'s first line. */
  version: string;
  /** The A records unbound answers for `name` (empty on any error). */
  resolve4(name: string): Promise<string[]>;
  /** The TTL left on unbound's answer for `name` (how long it will serve it from cache), if any. */
  ttlLeft(name: string): Promise<number | undefined>;
  logs(): string;
  stop(): Promise<void>;
}

function loopback(address: string): void {
  if (!/^127\./.test(address)) throw new Error(`unbound: ${address} is outside 127.0.0.0/8`);
}

export async function startUnbound(opts: UnboundOptions): Promise<UnboundHandle> {
  const address = opts.address ?? '127.0.0.54';
  loopback(address);
  loopback(opts.authoritative.host);
  const bin = bins.unbound();
  const port = await freePort();
  const dir = makeTempDir('unbound');
  const config = path.join(dir, 'unbound.conf');
  const zone = opts.zone.replace(/\.?$/, '.');
  fs.writeFileSync(
    config,
    [
      'server:',
      `  interface: ${address}`,
      `  port: ${port}`,
      '  do-ip6: no',
      '  do-daemonize: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir}"`,
      `  pidfile: "${path.join(dir, 'unbound.pid')}"`,
      '  use-syslog: no',
      '  logfile: ""',
      '  verbosity: 1',
      '  num-threads: 1',
      '  so-reuseport: no',
      '  access-control: 127.0.0.0/8 allow',
      // unbound never sends queries to 127.0.0.0/8 unless told to; the sandbox lives there.
      '  do-not-query-localhost: no',
      // A plain cache: no validation, and the defaults that decide what clients see, spelled out.
      '  module-config: "iterator"',
      '  prefetch: no',
      '  serve-expired: no',
      '  cache-min-ttl: 0',
      '  cache-max-ttl: 86400',
      'remote-control:',
      '  control-enable: no',
      'stub-zone:',
      `  name: "${zone}"`,
      `  stub-addr: ${opts.authoritative.host}@${opts.authoritative.port}`,
      '',
    ].join('\n'),
  );
  const logFile = path.join(dir, 'unbound.log');
  const proc = ManagedProcess.start({ name: 'unbound', command: bin, args: ['-d', '-c', config], logFile });
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`${address}:${port}`]);
  const resolve4 = (name: string) => resolver.resolve4(name).catch(() => [] as string[]);
  const handle: UnboundHandle = {
    address,
    port,
    version: versionOf(bin),
    resolve4,
    ttlLeft: async (name) => (await resolver.resolve4(name, { ttl: true }).catch(() => []))[0]?.ttl,
    logs: () => proc.logTail(40),
    stop: async () => {
      await proc.stop();
      removeTempDir(dir);
    },
  };
  try {
    // Up when it answers at all: the zone's SOA comes from the authoritative server.
    await waitUntil('unbound answering', async () => (await resolver.resolveSoa(opts.zone).catch(() => undefined)) !== undefined, {
      timeoutMs: 20_000,
      proc,
    });
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

function versionOf(bin: string): string {
  const out = execFileSync(bin, ['-V'], { encoding: 'utf8' });
  // "Version 1.17.1" on the first line.
  return `unbound ${out.split('\n')[0]?.replace(/^Version\s*/i, '').trim() ?? ''}`.trim();
}

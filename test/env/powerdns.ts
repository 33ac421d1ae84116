// PowerDNS Authoritative (Debian pdns-server 4.7) with the gsqlite3 backend, DNS + HTTP API on
// 127.0.0.1 free ports, config and database in a temp dir. Runs as the current user (no setuid).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lookup, query, waitForAnswer, type DnsResult } from './dns.js';
import { freePort } from './ports.js';
import { ManagedProcess, makeTempDir, removeTempDir, waitUntil } from './process.js';
import { bins, systemBinary } from './tools.js';

const SCHEMA_CANDIDATES = [
  '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql',
  '/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql',
];

export interface PdnsRRset {
  name: string;
  type: string;
  ttl: number;
  records: Array<{ content: string; disabled: boolean }>;
  comments?: unknown[];
}

export interface PowerDnsHandle {
  /** DNS port (UDP+TCP) on 127.0.0.1. */
  port: number;
  webPort: number;
  /** http://127.0.0.1:<webPort> — the value of ExternalDNS --pdns-server. */
  apiUrl: string;
  apiKey: string;
  /** Server id in API paths. */
  serverId: 'localhost';
  dir: string;
  logFile: string;
  process: ManagedProcess;
  /** Calls the HTTP API (path relative to /api/v1, e.g. `/servers/localhost/zones`). */
  api<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<T>;
  /** Creates a Native zone with SOA and NS (ns1.<zone> with an A record 127.0.0.1). Idempotent. */
  createZone(zone: string, opts?: { soaTtl?: number; nsTtl?: number }): Promise<void>;
  deleteZone(zone: string): Promise<void>;
  /** The zone's rrsets as the API returns them (names with trailing dot). */
  rrsets(zone: string): Promise<PdnsRRset[]>;
  /** `dig +short` against this server: sorted answer data. */
  query(name: string, type?: string): Promise<string[]>;
  lookup(name: string, type?: string): Promise<DnsResult>;
  waitForAnswer(name: string, type: string, accept?: (a: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

export interface PowerDnsOptions {
  /** Extra pdns.conf lines (key=value). */
  extraConfig?: string[];
  startTimeoutMs?: number;
}

const fqdn = (name: string): string => (name.endsWith('.') ? name : `${name}.`);

export async function startPowerDns(opts: PowerDnsOptions = {}): Promise<PowerDnsHandle> {
  const pdns = bins.pdnsServer();
  const schema = SCHEMA_CANDIDATES.find((f) => fs.existsSync(f));
  if (!schema) throw new Error(`PowerDNS sqlite3 schema not found (looked at ${SCHEMA_CANDIDATES.join(', ')}): install pdns-backend-sqlite3 (test/env/install-tools.sh)`);
  const sqlite3 = systemBinary('sqlite3', 'sqlite3');

  const dir = makeTempDir('pdns');
  const db = path.join(dir, 'pdns.sqlite3');
  execFileSync(sqlite3, [db], { input: fs.readFileSync(schema) });
  const port = await freePort();
  const webPort = await freePort();
  const apiKey = randomBytes(16).toString('hex');
  const socketDir = path.join(dir, 'run');
  fs.mkdirSync(socketDir);
  const conf = [
    'launch=gsqlite3',
    `gsqlite3-database=${db}`,
    'local-address=127.0.0.1',
    `local-port=${port}`,
    'query-local-address=127.0.0.1',
    'api=yes',
    `api-key=${apiKey}`,
    'webserver=yes',
    'webserver-address=127.0.0.1',
    `webserver-port=${webPort}`,
    'webserver-allow-from=127.0.0.0/8',
    'guardian=no',
    'daemon=no',
    `socket-dir=${socketDir}`,
    'disable-syslog=yes',
    'loglevel=4',
    // Never phone home (secpoll.powerdns.com) — the bed only talks to 127.0.0.0/8.
    'security-poll-suffix=',
    // Tests write through the API and read over DNS at once: no caches anywhere.
    'cache-ttl=0',
    'negquery-cache-ttl=0',
    'query-cache-ttl=0',
    'zone-cache-refresh-interval=0',
    'receiver-threads=1',
    'distributor-threads=1',
    ...(opts.extraConfig ?? []),
  ];
  fs.writeFileSync(path.join(dir, 'pdns.conf'), conf.join('\n') + '\n');
  const logFile = path.join(dir, 'pdns.log');
  const proc = ManagedProcess.start({
    name: 'pdns_server',
    command: pdns,
    args: [`--config-dir=${dir}`],
    logFile,
    cwd: dir,
  });

  const apiUrl = `http://127.0.0.1:${webPort}`;
  const api = async <T,>(method: string, apiPath: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${apiUrl}/api/v1${apiPath}`, {
      method,
      headers: { 'X-API-Key': apiKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`PowerDNS API ${method} ${apiPath}: HTTP ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const server = { port };

  const stop = async (): Promise<void> => {
    await proc.stop();
    removeTempDir(dir);
  };

  try {
    await waitUntil('PowerDNS HTTP API', async () => (await api<unknown[]>('GET', '/servers')).length > 0, {
      timeoutMs: opts.startTimeoutMs ?? 20_000,
      proc,
    });
    // The DNS listener answers too (REFUSED for a zone it does not have).
    await waitUntil('PowerDNS DNS port', async () => (await lookup(server, 'probe.invalid', 'SOA')).status.length > 0, {
      timeoutMs: opts.startTimeoutMs ?? 20_000,
      proc,
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const handle: PowerDnsHandle = {
    port,
    webPort,
    apiUrl,
    apiKey,
    serverId: 'localhost',
    dir,
    logFile,
    process: proc,
    api,
    async createZone(zone, zopts = {}) {
      const z = fqdn(zone);
      const existing = await api<Array<{ name: string }>>('GET', '/servers/localhost/zones');
      if (existing.some((e) => e.name === z)) return;
      const soaTtl = zopts.soaTtl ?? 60;
      const nsTtl = zopts.nsTtl ?? 60;
      await api('POST', '/servers/localhost/zones', {
        name: z,
        kind: 'Native',
        rrsets: [
          { name: z, type: 'SOA', ttl: soaTtl, records: [{ content: `ns1.${z} hostmaster.${z} 1 10800 3600 604800 ${soaTtl}`, disabled: false }] },
          { name: z, type: 'NS', ttl: nsTtl, records: [{ content: `ns1.${z}`, disabled: false }] },
          { name: `ns1.${z}`, type: 'A', ttl: nsTtl, records: [{ content: '127.0.0.1', disabled: false }] },
        ],
      });
    },
    async deleteZone(zone) {
      await api('DELETE', `/servers/localhost/zones/${encodeURIComponent(fqdn(zone))}`);
    },
    async rrsets(zone) {
      const z = await api<{ rrsets: PdnsRRset[] }>('GET', `/servers/localhost/zones/${encodeURIComponent(fqdn(zone))}`);
      return z.rrsets;
    },
    query: (name, type = 'A') => query(server, name, type),
    lookup: (name, type = 'A') => lookup(server, name, type),
    waitForAnswer: (name, type, accept, timeoutMs) => waitForAnswer(server, name, type, accept, { timeoutMs }),
    stop,
  };
  return handle;
}

// DNS queries against a server of the bed (PowerDNS, CoreDNS) with dig.
import { execFile } from 'node:child_process';
import { bins } from './tools.js';
import { sleep } from './process.js';

export interface DnsServerAddress {
  host?: string; // default 127.0.0.1
  port: number;
}

interface DnsAnswer {
  name: string;
  ttl: number;
  type: string;
  /** Presentation format as dig prints it (TXT strings keep their quotes). */
  data: string;
}

export interface DnsResult {
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED... */
  status: string;
  /** Header flags as dig prints them, e.g. ['qr', 'aa', 'rd']. */
  flags: string[];
  answers: DnsAnswer[];
}

function runDig(args: string[], timeoutMs: number): Promise<string> {
  const dig = bins.dig();
  return new Promise((resolve, reject) => {
    execFile(dig, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`dig ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`.trim()));
      else resolve(stdout);
    });
  });
}

function digArgs(server: DnsServerAddress, name: string, type: string, tcp: boolean): string[] {
  const host = server.host ?? '127.0.0.1';
  if (!/^127\./.test(host)) throw new Error(`dns: refusing to query ${host}: the test bed only talks to 127.0.0.0/8`);
  return [`@${host}`, '-p', String(server.port), '+time=2', '+tries=2', '+norecurse', ...(tcp ? ['+tcp'] : []), name, type];
}

/** Full lookup: response code, flags and answer section. */
export async function lookup(server: DnsServerAddress, name: string, type = 'A', opts: { tcp?: boolean } = {}): Promise<DnsResult> {
  const out = await runDig([...digArgs(server, name, type, opts.tcp ?? false), '+noall', '+comments', '+answer'], 15_000);
  const header = /status: ([A-Z]+)/.exec(out);
  if (!header) throw new Error(`dig @${server.port} ${name} ${type}: no response header in:\n${out}`);
  const flagsLine = /;; flags: ([^;]*);/.exec(out);
  const answers: DnsAnswer[] = [];
  for (const line of out.split('\n')) {
    if (!line || line.startsWith(';')) continue;
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line);
    if (m) answers.push({ name: m[1]!, ttl: Number(m[2]), type: m[3]!, data: m[4]!.trim() });
  }
  return { status: header[1]!, flags: flagsLine ? flagsLine[1]!.trim().split(/\s+/) : [], answers };
}

/**
 * `dig +short`: the data of every answer record (CNAME chain included), sorted. An empty array
 * means no answer (NXDOMAIN or NODATA); a server that does not answer throws.
 */
export async function query(server: DnsServerAddress, name: string, type = 'A', opts: { tcp?: boolean } = {}): Promise<string[]> {
  const out = await runDig([...digArgs(server, name, type, opts.tcp ?? false), '+short'], 15_000);
  if (/connection timed out|communications error|no servers could be reached/.test(out)) {
    throw new Error(`dig @127.0.0.1 -p ${server.port} ${name} ${type}: ${out.trim()}`);
  }
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith(';'))
    .sort();
}

/**
 * Polls query() until `accept(answers)` is true (default: non-empty); returns the answers.
 * Throws after timeoutMs with the last answers seen.
 */
export async function waitForAnswer(
  server: DnsServerAddress,
  name: string,
  type: string,
  accept: (answers: string[]) => boolean = (a) => a.length > 0,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<string[]> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last: string[] | string = 'no query yet';
  for (;;) {
    try {
      const a = await query(server, name, type);
      if (accept(a)) return a;
      last = a;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`waitForAnswer ${name} ${type} @127.0.0.1:${server.port}: not accepted after ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

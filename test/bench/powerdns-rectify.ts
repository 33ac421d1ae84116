// Scenario "powerdns-rectify": what one small change costs PowerDNS by zone size, with the zone's
// API-RECTIFY on (PowerDNS's default) and off. For each N × K: a fresh PowerDNS (gsqlite3, as
// the bed runs it), one zone of N names with K addresses each and an ownership TXT per name (as
// mcdns writes them), then `changes` single-rrset PATCHes, one at a time, each timed alone and
// to the first DNS answer carrying it (a query every 5 ms); first with the zone as PowerDNS
// creates it (rectify on), then with its api_rectify set to false.
import { Resolver } from 'node:dns/promises';
import { startPowerDns, type PowerDnsHandle } from '../env/powerdns.js';
import { summarize, type Summary } from './stats.js';

export interface RectifyOptions {
  /** Names in the zone (N), one run per value. */
  records: number[];
  /** Addresses per name (K), one run per value. */
  clusters: number[];
  changes: number;
}

interface RectifyRun {
  names: number;
  targets: number;
  /** Rows of PowerDNS's records table for the zone: N × K addresses, N TXTs, SOA, NS and its A. */
  rows: number;
  on: { patchMs: Summary; answerMs: Summary };
  off: { patchMs: Summary; answerMs: Summary };
}

const ZONE = 'z0.example.org';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function rectifyScenario(opts: RectifyOptions, log: (s: string) => void): Promise<{ scenario: 'powerdns-rectify'; runs: RectifyRun[] }> {
  const runs: RectifyRun[] = [];
  for (const n of opts.records) {
    for (const k of opts.clusters) {
      const pdns = await startPowerDns();
      try {
        await pdns.createZone(ZONE);
        await fill(pdns, n, k);
        const on = await trials(pdns, n, opts.changes, 0);
        await pdns.api('PUT', `/servers/localhost/zones/${ZONE}.`, { api_rectify: false });
        const off = await trials(pdns, n, opts.changes, opts.changes);
        const run = { names: n, targets: k, rows: n * k + n + 3, on, off };
        log(`  ${n} names × ${k}: PATCH p50 ${on.patchMs.p50} ms with API-RECTIFY (p95 ${on.patchMs.p95}), ${off.patchMs.p50} ms without (p95 ${off.patchMs.p95}); → answer ${on.answerMs.p50} / ${off.answerMs.p50} ms`);
        runs.push(run);
      } finally {
        await pdns.stop();
      }
    }
  }
  return { scenario: 'powerdns-rectify', runs };
}

/** N names with K addresses and an ownership TXT each, in PATCHes of 500 names (untimed). */
async function fill(pdns: PowerDnsHandle, n: number, k: number): Promise<void> {
  for (let start = 0; start < n; start += 500) {
    const rrsets: unknown[] = [];
    for (let i = start; i < Math.min(n, start + 500); i++) {
      const records = Array.from({ length: k }, (_, m) => ({ content: `127.${m + 1}.${(i >> 8) & 255}.${i & 255}`, disabled: false }));
      rrsets.push({ name: `r${i}.${ZONE}.`, type: 'A', ttl: 60, changetype: 'REPLACE', records });
      const txt = `"heritage=external-dns,external-dns/owner=mcdns-bench,external-dns/resource=ingress/bench/r${i}"`;
      rrsets.push({ name: `a-r${i}.${ZONE}.`, type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [{ content: txt, disabled: false }] });
    }
    await pdns.api('PATCH', `/servers/localhost/zones/${ZONE}.`, { rrsets });
  }
}

/** `changes` single-rrset PATCHes of random names to new addresses (127.250.x.y from `first` on). */
async function trials(pdns: PowerDnsHandle, n: number, changes: number, first: number): Promise<{ patchMs: Summary; answerMs: Summary }> {
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${pdns.port}`]);
  const patchMs: number[] = [];
  const answerMs: number[] = [];
  for (let c = first; c < first + changes; c++) {
    const i = Math.floor(Math.random() * n);
    const ip = `127.250.${(c >> 8) & 255}.${c & 255}`;
    const t0 = performance.now();
    await pdns.api('PATCH', `/servers/localhost/zones/${ZONE}.`, { rrsets: [{ name: `r${i}.${ZONE}.`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: ip, disabled: false }] }] });
    patchMs.push(performance.now() - t0);
    for (;;) {
      if ((await resolver.resolve4(`r${i}.${ZONE}`).catch(() => [] as string[])).includes(ip)) break;
      if (performance.now() - t0 > 30_000) throw new Error(`powerdns-rectify: r${i} never answered ${ip}`);
      await sleep(5);
    }
    answerMs.push(performance.now() - t0);
    await sleep(100 + Math.random() * 100);
  }
  return { patchMs: summarize(patchMs), answerMs: summarize(answerMs) };
}

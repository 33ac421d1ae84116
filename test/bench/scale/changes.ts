// The scale benchmark's change trials: single load-balancer changes in a member, one at a time,
// each timed to the first DNSEndpoint event carrying the new address and to the first PowerDNS
// answer carrying it; and, after each, the provider's floor in the same zone: the bench itself
// sends one single-rrset PATCH straight to PowerDNS (a name of its own, which mcdns does not
// own) and waits for its answer the same way. Both are polled alike (a DNS query every 5 ms), so
// what separates mcdns's figure from the floor's is mcdns's own. The floor's PATCH passes a proxy
// of the same kind as mcdns's (its own, so that mcdns's requests are counted alone).
//
// Each mcdns change is also taken apart with the counting proxy's request log (arrival and end of
// every request mcdns sent PowerDNS): change → mcdns's PATCH arrives, the PATCH itself, PATCH end →
// answer seen, how many PATCHes went out meanwhile and whether a zone read was in flight.
import { Resolver } from 'node:dns/promises';
import type { CountingProxy } from '../../env/counting-proxy.js';
import type { PowerDnsHandle } from '../../env/powerdns.js';
import { summarize, type Summary } from '../stats.js';
import type { Fleet } from './fleet.js';
import type { EndpointTracker } from './trackers.js';

export interface ChangeTrialsSetup {
  fleet: Fleet;
  tracker: EndpointTracker;
  pdns: PowerDnsHandle;
  /** The proxy between mcdns and PowerDNS: its request log times mcdns's PATCHes. */
  proxy: CountingProxy;
  /** A proxy of the same kind, to the same PowerDNS, for the floor's PATCHes: the same path as mcdns's. */
  floorProxy: CountingProxy;
  changes: number;
  changeTimeoutS: number;
  /** Moves member m's load-balancer address of record i to ip (a status write in that member). */
  setAddress(m: number, i: number, ip: string): Promise<void>;
  log: (s: string) => void;
}

/** One mcdns change taken apart (ms, from the proxy's clock; undefined where nothing was seen). */
export interface ChangeParts {
  /** Change written → mcdns's first PATCH after it arrived at PowerDNS's proxy. */
  toPatchMs?: number;
  /** That PATCH's round trip (the PATCH carrying the change: the last one sent before the answer). */
  patchMs?: number;
  /**
   * PATCH answered → the new address seen in a DNS answer; negative when PowerDNS served the new
   * address before it answered the PATCH (it commits, then rectifies the zone, then answers).
   */
  afterPatchMs?: number;
  /** PATCHes mcdns sent between the change and the answer. */
  patches: number;
  /** A zone read (GET of the zone) was in flight at some point between the change and the PATCH. */
  readInTheWay: boolean;
}

export interface ChangeFigures {
  requested: number;
  notSeen: number;
  dnsEndpointMs: Summary | null;
  powerdnsMs: Summary | null;
  /**
   * The provider's floor, one trial after each change: the bench's own single-rrset PATCH to
   * PowerDNS (not through mcdns) → its answer, and the PATCH's round trip alone.
   */
  floor: { answerMs: Summary | null; patchMs: Summary | null; notSeen: number };
  /** mcdns's changes taken apart (see ChangeParts), each part summarised over the changes. */
  parts: {
    toPatchMs: Summary | null;
    patchMs: Summary | null;
    afterPatchMs: Summary | null;
    patchesPerChange: Summary | null;
    /** Changes during which mcdns was reading the zone before it wrote. */
    readInTheWay: number;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const orNull = (xs: number[]): Summary | null => (xs.length > 0 ? summarize(xs) : null);

/** The name the floor trials write: in the record's zone, owned by nobody (mcdns leaves it alone). */
const floorName = (zone: string) => `bench-floor-probe.${zone}`;

/**
 * Takes one change apart from the proxy's request log (wall-clock ms): the PATCHes that arrived
 * after the change and ended before the answer, and the zone reads in flight before the first.
 */
export function changeParts(
  requests: ReadonlyArray<{ at: number; doneAt?: number; method: string; route: string }>,
  changedAt: number,
  answeredAt: number | undefined,
): ChangeParts {
  const end = answeredAt ?? Number.POSITIVE_INFINITY;
  const patches = requests.filter((r) => r.method === 'PATCH' && r.at >= changedAt && r.at <= end);
  const first = patches[0];
  const carrying = patches.at(-1);
  const writeAt = first?.at ?? end;
  const readInTheWay = requests.some((r) => r.method === 'GET' && /\/zones\/\{zone\}$/.test(r.route) && r.at < writeAt && (r.doneAt ?? end) > changedAt);
  return {
    patches: patches.length,
    readInTheWay,
    ...(first ? { toPatchMs: first.at - changedAt } : {}),
    ...(carrying?.doneAt !== undefined ? { patchMs: carrying.doneAt - carrying.at } : {}),
    ...(carrying?.doneAt !== undefined && answeredAt !== undefined ? { afterPatchMs: answeredAt - carrying.doneAt } : {}),
  };
}

export async function changeTrials(t: ChangeTrialsSetup): Promise<ChangeFigures & { notes: string[] }> {
  const { fleet, tracker, pdns, changes } = t;
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${pdns.port}`]);
  /** Polls PowerDNS every 5 ms until `name` answers with `ip`; the moment it did, or undefined. */
  const answered = async (name: string, ip: string, until: number, alsoWait?: () => boolean): Promise<number | undefined> => {
    let at: number | undefined;
    while (performance.now() < until) {
      if (at === undefined && (await resolver.resolve4(name).catch(() => [] as string[])).includes(ip)) at = performance.now();
      if (at !== undefined && !alsoWait?.()) break;
      await sleep(5);
    }
    return at;
  };
  const epMs: number[] = [];
  const dnsMs: number[] = [];
  const floorMs: number[] = [];
  const floorPatchMs: number[] = [];
  const parts: ChangeParts[] = [];
  const notes: string[] = [];
  let notSeen = 0;
  let floorNotSeen = 0;
  let misses = 0;
  t.log(`${changes} single load-balancer changes, each followed by a bare single-rrset PATCH (the provider's floor)`);
  for (let c = 0; c < changes && misses < 3; c++) {
    const i = Math.floor(Math.random() * fleet.n);
    const m = 1 + Math.floor(Math.random() * fleet.k);
    const ip = fleet.change(m, i, c);
    tracker.watchIp(ip);
    const wall0 = Date.now();
    const c0 = performance.now();
    await t.setAddress(m, i, ip);
    const dnsAt = await answered(fleet.host(i), ip, c0 + t.changeTimeoutS * 1000, () => tracker.seenAt(ip) === undefined);
    const epAt = tracker.seenAt(ip);
    if (epAt !== undefined) epMs.push(epAt - c0);
    if (dnsAt !== undefined) dnsMs.push(dnsAt - c0);
    parts.push(changeParts(t.proxy.requests(), wall0, dnsAt !== undefined ? wall0 + (dnsAt - c0) : undefined));
    if (epAt === undefined || dnsAt === undefined) {
      notSeen++;
      misses++;
      const missing = [epAt === undefined ? 'no DNSEndpoint' : '', dnsAt === undefined ? 'no PowerDNS answer' : ''].filter(Boolean).join(', ');
      t.log(`  change ${c} (${fleet.host(i)} in member${m} → ${ip}): ${missing} within ${t.changeTimeoutS} s`);
    } else misses = 0;
    await sleep(100 + Math.random() * 150);

    // The floor, in the same zone, now: one REPLACE of one A rrset, straight to PowerDNS.
    const zone = fleet.zone(i % fleet.z);
    const name = floorName(zone);
    const floorIp = `127.250.${(c >> 8) & 255}.${c & 255}`;
    const f0 = performance.now();
    const res = await fetch(`${t.floorProxy.url}/api/v1/servers/localhost/zones/${zone}.`, {
      method: 'PATCH',
      headers: { 'X-API-Key': pdns.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ rrsets: [{ name: `${name}.`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: floorIp, disabled: false }] }] }),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`scale: the floor's PATCH of ${name}: HTTP ${res.status}`);
    floorPatchMs.push(performance.now() - f0);
    const fAt = await answered(name, floorIp, f0 + t.changeTimeoutS * 1000);
    if (fAt !== undefined) floorMs.push(fAt - f0);
    else floorNotSeen++;

    if ((c + 1) % 10 === 0) t.log(`  ${c + 1}/${changes} changes`);
    await sleep(100 + Math.random() * 150); // de-phase from any periodic work
  }
  if (misses >= 3) notes.push(`load-balancer changes stopped after 3 in a row were not seen within ${t.changeTimeoutS} s`);
  const num = (k: 'toPatchMs' | 'patchMs' | 'afterPatchMs') => parts.flatMap((p) => (p[k] !== undefined ? [p[k]] : []));
  const figures: ChangeFigures = {
    requested: changes,
    notSeen,
    dnsEndpointMs: orNull(epMs),
    powerdnsMs: orNull(dnsMs),
    floor: { answerMs: orNull(floorMs), patchMs: orNull(floorPatchMs), notSeen: floorNotSeen },
    parts: {
      toPatchMs: orNull(num('toPatchMs')),
      patchMs: orNull(num('patchMs')),
      afterPatchMs: orNull(num('afterPatchMs')),
      patchesPerChange: orNull(parts.map((p) => p.patches)),
      readInTheWay: parts.filter((p) => p.readInTheWay).length,
    },
  };
  const p = (s: Summary | null) => (s ? `${s.p50} / ${s.p95} / ${s.p99}` : '-');
  t.log(`  change → DNSEndpoint ${p(figures.dnsEndpointMs)} ms; → PowerDNS answer ${p(figures.powerdnsMs)} ms; not seen ${notSeen}`);
  t.log(`  floor (bare PATCH → answer) ${p(figures.floor.answerMs)} ms, its PATCH ${p(figures.floor.patchMs)} ms`);
  t.log(
    `  mcdns's changes taken apart: → PATCH ${p(figures.parts.toPatchMs)}, PATCH ${p(figures.parts.patchMs)}, → answer ${p(figures.parts.afterPatchMs)} ms; PATCHes per change ${p(figures.parts.patchesPerChange)}; a zone read in the way ${figures.parts.readInTheWay}×`,
  );
  return { ...figures, notes };
}

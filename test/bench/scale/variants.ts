// What the scale bench runs, decided from its options before anything starts: the members'
// reality (round trip and loss to their API servers, unrelated workloads and their churn), the
// runs that follow from it (the plain fleet first, then the realistic one, per N and K), and
// which real API server backs which member when there are more members than API servers.

/** What the members are like, for one run. */
export interface MemberReality {
  /** Round trip added to every member API connection (half each way), ms. */
  memberRttMs: number;
  /** TCP segments lost on those connections, percent. */
  memberLossPct: number;
  /** Unrelated Services (each with a 10-endpoint EndpointSlice) per member, and a tenth as many Ingresses. */
  background: number;
  /** Ready flips per second to those EndpointSlices, per member, through the steady window and the changes. */
  churnPerS: number;
}

export const PLAIN: MemberReality = { memberRttMs: 0, memberLossPct: 0, background: 0, churnPerS: 0 };

const isPlain = (r: MemberReality): boolean => r.memberRttMs === 0 && r.memberLossPct === 0 && r.background === 0 && r.churnPerS === 0;

/** `--member-rtt MS[,LOSS%]`: "100", "200,1" or "200,1%". */
export function parseMemberRtt(raw: string): { rttMs: number; lossPct: number } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:,\s*(\d+(?:\.\d+)?)\s*%?)?\s*$/.exec(raw);
  if (!m) throw new Error(`--member-rtt must be MS or MS,LOSS% (e.g. 100 or 200,1) (got "${raw}")`);
  const rttMs = Number(m[1]);
  const lossPct = m[2] !== undefined ? Number(m[2]) : 0;
  if (lossPct >= 100) throw new Error(`--member-rtt: loss must be below 100 % (got ${lossPct})`);
  if (lossPct > 0 && rttMs === 0) throw new Error('--member-rtt: a loss needs a round trip (a lost segment waits the retransmission timeout, which grows with it)');
  return { rttMs, lossPct };
}

/** A whole number ≥ 0 (0: off), or a clear error naming the flag. */
export function count(name: string, raw: string): number {
  const v = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(v)) throw new Error(`--${name} must be a whole number, 0 or more (got "${raw}")`);
  return v;
}

export interface PlannedRun {
  records: number;
  clusters: number;
  /** Real kube-apiservers behind the members (≤ clusters). */
  apiServers: number;
  /** `plain`: members next door and holding only the fleet; `realistic`: as the options describe them. */
  variant: 'plain' | 'realistic';
  reality: MemberReality;
}

/**
 * Every run of one invocation, in order: per N and per K, the plain fleet, then, when the
 * options describe members farther or fuller than that, the same fleet with them, on fresh
 * servers (same code, same machine, one result).
 */
export function planRuns(records: number[], clusters: number[], apiServers: number | undefined, reality: MemberReality): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const k of clusters) {
    const servers = Math.min(k, apiServers ?? k);
    for (const n of records) {
      runs.push({ records: n, clusters: k, apiServers: servers, variant: 'plain', reality: PLAIN });
      if (!isPlain(reality)) runs.push({ records: n, clusters: k, apiServers: servers, variant: 'realistic', reality });
    }
  }
  return runs;
}

/** Where member m (1-based) lives: its real API server (0-based) and the namespace its fleet is written to there. */
export interface Placement {
  member: string;
  server: number;
  /** 'bench' when the member has its API server to itself; else a namespace of its own there, shown to it as 'bench'. */
  namespace: string;
}

/**
 * K members over S real API servers, round robin: member m on server (m-1) mod S. A server that
 * backs several members holds each one's fleet in a namespace of its own (bench-m<m>); each
 * member is then seen through a proxy that shows it its own namespace as `bench` and hides the
 * others', so that every member is a set of objects of its own. Unrelated workloads are shared.
 */
export function placeMembers(clusters: number, apiServers: number, fleetNs: string): Placement[] {
  if (apiServers < 1 || apiServers > clusters) throw new Error(`scale: ${apiServers} API servers for ${clusters} members`);
  return Array.from({ length: clusters }, (_, j) => ({
    member: `member${j + 1}`,
    server: j % apiServers,
    namespace: apiServers === clusters ? fleetNs : `${fleetNs}-m${j + 1}`,
  }));
}

// The probe policy's check before every probe (policy.ts): an IP target is checked as it is; a
// hostname target is resolved, refused if any of its addresses is refused, and otherwise probed
// on the address that was checked, so a name cannot resolve to one thing for the check and to
// another for the connection. A refused target is never connected to.
//
// The lookup is part of the probe: it has the probe's timeout as its deadline (the connection
// gets what is left), and it asks DNS through c-ares (node:dns Resolver), not getaddrinfo, whose
// four libuv threads the whole process shares: a tenant's load-balancer names that hang in DNS
// cannot hold probe places past their timeout, nor block every other lookup of the controller.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { refusal, type ProbePolicy } from './policy.js';
import { runProbe, type ProbeOutcome, type ProbeRequest } from './probe.js';

/** A probe's outcome; `refused`: the policy refused the target, nothing was sent. */
export type Outcome = ProbeOutcome & { refused?: boolean };

/** Resolves a hostname to its addresses within `timeoutMs` (it may give up earlier). */
export type Lookup = (hostname: string, timeoutMs: number) => Promise<string[]>;

/**
 * DNS through c-ares: the A and AAAA records of the name (IPv4 first), from `servers` or those of
 * /etc/resolv.conf; not /etc/hosts (localhost names are loopback without asking). One resolver
 * per timeout, its tries fitted in the timeout.
 */
export function dnsLookup(servers?: string[]): Lookup {
  const resolvers = new Map<number, dns.Resolver>();
  const resolverFor = (timeoutMs: number): dns.Resolver => {
    let r = resolvers.get(timeoutMs);
    if (!r) {
      // c-ares doubles its timeout on the second try: t/3 + 2t/3 = t.
      r = new dns.Resolver({ timeout: Math.max(50, Math.floor(timeoutMs / 3)), tries: 2 });
      if (servers && servers.length > 0) r.setServers(servers);
      resolvers.set(timeoutMs, r);
    }
    return r;
  };
  return async (name, timeoutMs) => {
    // RFC 6761 §6.3: localhost names are loopback, whatever a DNS server would say.
    if (/(^|\.)localhost\.?$/i.test(name)) return ['127.0.0.1', '::1'];
    const resolver = resolverFor(timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const [v4, v6] = await Promise.race([Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]), deadline]);
      const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
      if (addresses.length === 0 && v4.status === 'rejected') throw v4.reason;
      return addresses;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The default lookup: DNS with the system's servers. */
export const systemLookup: Lookup = dnsLookup();

type Screen = { address: string } | { refused: string } | { unresolved: string };

/** Screens the request's target, then probes the checked address (ca: extra CAs for https). */
export async function screenAndProbe(
  req: ProbeRequest,
  policy: ProbePolicy,
  lookup: Lookup,
  ca: string[] | undefined,
): Promise<Outcome> {
  const started = performance.now();
  const screen = await screenTarget(req, policy, lookup);
  const elapsed = performance.now() - started;
  if ('refused' in screen) return { ok: false, refused: true, error: screen.refused, durationMs: elapsed };
  if ('unresolved' in screen) return { ok: false, error: screen.unresolved, durationMs: elapsed };
  if (screen.address === req.address) return runProbe(req, ca ? { ca } : {});
  // The lookup spent part of the timeout: the connection has the rest.
  const request: ProbeRequest = { ...req, address: screen.address, hostHeader: req.hostHeader ?? req.address, budgetMs: Math.max(1, req.timeoutMs - elapsed) };
  const outcome = await runProbe(request, ca ? { ca } : {});
  return { ...outcome, durationMs: outcome.durationMs + elapsed };
}

/** The address to connect to, after the policy checked it (and every other address of a name). */
async function screenTarget(req: ProbeRequest, policy: ProbePolicy, lookup: Lookup): Promise<Screen> {
  const port = policy.refusesPort(req.port);
  if (port !== undefined) return { refused: refusal(port) };
  if (isIP(req.address)) {
    const why = policy.refuses(req.address, req.port);
    return why === undefined ? { address: req.address } : { refused: why };
  }
  let addresses: string[];
  try {
    addresses = await lookup(req.address, req.timeoutMs);
  } catch {
    return { unresolved: `cannot resolve ${req.address}` };
  }
  if (addresses.length === 0) return { unresolved: `cannot resolve ${req.address}` };
  for (const address of addresses) {
    const why = policy.refusesAddress(address);
    if (why !== undefined) return { refused: refusal(`${req.address} resolves to a ${why}`) };
  }
  return { address: addresses[0] as string };
}

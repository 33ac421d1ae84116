// The probe policy's check before every probe (policy.ts): an IP target is checked as it is; a
// hostname target is resolved, refused if any of its addresses is refused, and otherwise probed
// on the address that was checked, so a name cannot resolve to one thing for the check and to
// another for the connection. A refused target is never connected to.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { refusal, type ProbePolicy } from './policy.js';
import { runProbe, type ProbeOutcome, type ProbeRequest } from './probe.js';

/** A probe's outcome; `refused`: the policy refused the target, nothing was sent. */
export type Outcome = ProbeOutcome & { refused?: boolean };

/** Resolves a hostname to its addresses. */
export type Lookup = (hostname: string) => Promise<string[]>;

/** The system resolver, every address in the order it gives them. */
export const systemLookup: Lookup = async (name) => (await dns.lookup(name, { all: true, verbatim: true })).map((a) => a.address);

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
  if ('refused' in screen) return { ok: false, refused: true, error: screen.refused, durationMs: performance.now() - started };
  if ('unresolved' in screen) return { ok: false, error: screen.unresolved, durationMs: performance.now() - started };
  const request: ProbeRequest =
    screen.address === req.address ? req : { ...req, address: screen.address, hostHeader: req.hostHeader ?? req.address };
  return runProbe(request, ca ? { ca } : {});
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
    addresses = await lookup(req.address);
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

// The TTL a record's names are published with. Resolvers cache an answer for its TTL, so once an
// address leaves the authoritative answer clients keep using it for up to that long: a name
// whose targets are health-checked gets a short TTL by default, or taking the address out of DNS
// within seconds would buy clients nothing for minutes.
//
//   explicit recordTTL (> 0)      wins, always (KubeFed semantics); with spec.healthCheck and a
//                                 TTL more than 10× the probe detection window, a note says so;
//   health-checked, no recordTTL  --health-checked-ttl (default 30 s; 0: no special TTL);
//   otherwise                     KubeFed's 180 s.
//
// "Health-checked": the record has spec.healthCheck, or it is a ServiceDNSRecord whose addresses
// follow its Services' ready endpoints (every one without allowServiceWithoutEndpoints), or a
// RouteDNSRecord (its Gateways' addresses follow its backends' ready endpoints).
import { DEFAULT_TTL, MAX_TTL, type RecordKind } from '../api/schema.js';
import { correlationWindowMs } from './health-input.js';

/** Seconds; docs/health-checks.md and the --health-checked-ttl default say the same. */
export const DEFAULT_HEALTH_CHECKED_TTL = 30;

/** An explicit TTL longer than this many detection windows earns a note. */
const SLOW_TTL_FACTOR = 10;

export interface TtlSpec {
  recordTTL?: number;
  healthCheck?: { intervalSeconds?: number; failureThreshold?: number };
  allowServiceWithoutEndpoints?: boolean;
}

export interface TtlChoice {
  ttl: number;
  /** Why failover through resolvers is slow with this TTL, for the Ready message; else absent. */
  note?: string;
}

/** recordTTL when it is a positive integer (at most MAX_TTL), else undefined. */
function explicitTtl(spec: { recordTTL?: number }): number | undefined {
  const ttl = spec.recordTTL;
  return ttl !== undefined && Number.isInteger(ttl) && ttl > 0 ? Math.min(ttl, MAX_TTL) : undefined;
}

/** recordTTL, or KubeFed's 180 s when it is 0 or absent. */
export function ttlOf(spec: { recordTTL?: number }): number {
  return explicitTtl(spec) ?? DEFAULT_TTL;
}

/** Whether a record's targets leave DNS on their own health: probes, or (Services) readiness. */
function isHealthChecked(kind: RecordKind, spec: TtlSpec): boolean {
  if (kind === 'RouteDNSRecord') return true;
  return spec.healthCheck !== undefined || (kind === 'ServiceDNSRecord' && spec.allowServiceWithoutEndpoints !== true);
}

/**
 * The TTL of every name of one record; see the rules at the top of this file. `healthCheckedTtl`
 * is --health-checked-ttl in seconds (0 turns the short default off).
 */
export function chooseTtl(
  kind: RecordKind,
  spec: TtlSpec,
  healthCheckedTtl: number = DEFAULT_HEALTH_CHECKED_TTL,
): TtlChoice {
  const explicit = explicitTtl(spec);
  if (explicit === undefined) {
    const short = healthCheckedTtl > 0 && isHealthChecked(kind, spec);
    return { ttl: short ? Math.min(healthCheckedTtl, MAX_TTL) : DEFAULT_TTL };
  }
  if (spec.healthCheck === undefined) return { ttl: explicit };
  const windowS = correlationWindowMs(spec.healthCheck) / 1000;
  if (explicit <= SLOW_TTL_FACTOR * windowS) return { ttl: explicit };
  const instead = healthCheckedTtl > 0 ? `unset recordTTL for the health-checked TTL of ${healthCheckedTtl} s, or lower it` : 'lower it';
  return {
    ttl: explicit,
    note:
      `recordTTL ${explicit} s is ${Math.floor(explicit / windowS)}× the ${windowS} s probe detection window: ` +
      `resolvers keep answering with a failed target for up to ${explicit} s after it leaves DNS (${instead})`,
  };
}

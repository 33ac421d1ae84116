// The decision: what a record publishes now. Its spec is validated (and a ServiceDNSRecord's
// Domain looked up), the member observations and the health input go through the pure core
// (desiredFor*), and the names it may not hold are dropped: names outside the admin's
// DNSNamePolicies, and names an older claim holds (claim.ts). Its probes present only names it
// keeps. Reads the caches and the claims index, writes nothing to the cluster.
import {
  RECORD_API_VERSION,
  type DNSRecord,
  type Domain,
  type Endpoint,
  type HealthCheck,
  type IngressDNSRecord,
  type RecordHealthStatus,
  type RouteDNSRecord,
  type ServiceDNSRecord,
} from '../../api/schema.js';
import { formatProblems, validateObject } from '../../api/validate.js';
import { desiredForIngressRecord, recordHosts } from '../../core/desired-ingress.js';
import { desiredForServiceRecord } from '../../core/desired-service.js';
import { desiredForRouteRecord, namedRoute } from '../../core/desired-route.js';
import { healthCheckProblems } from '../../health/spec.js';
import { withoutNames, type ClaimTime } from '../../core/claims.js';
import { claimedNames } from '../../core/record-names.js';
import { boundedMessage } from '../../core/verdict.js';
import { dnsEndpointName } from '../../core/dnsendpoint.js';
import type { ClusterObservation } from '../../core/observation.js';
import type { RecordCondition, RecordStatus, Verdict } from '../../core/status.js';
import { recordedVerdicts, withRecorded, type HealthInput, type HealthView } from '../../core/health-input.js';
import type { ProbeTarget } from '../../core/health-status.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import type { ReconcileContext } from './types.js';
import { normaliseName } from '../../core/names.js';
import { stake, type Stake } from './claim.js';

/** What the pure core says a record publishes. */
interface Desired {
  endpoints: Endpoint[];
  ready: Verdict;
  dns: unknown[];
  domain?: string;
  probeTargets?: ProbeTarget[];
  health?: RecordHealthStatus;
  /** Names the record claims whatever their targets (a RouteDNSRecord's, from its route). */
  names?: string[];
  /** Conditions of the kind beside Ready (a RouteDNSRecord's HostsDropped). */
  conditions?: RecordCondition[];
}

/** A valid record's outputs: the core's answer and what is left of it after claims and policy. */
export interface Decision {
  members: ClusterObservation[];
  recorded: HealthView;
  desired: Desired;
  endpoints: Endpoint[];
  ready: Verdict;
  clusters: string[];
  /** What to probe, each with a Host the record may publish; the check as probes may use it. */
  probes?: { targets: ProbeTarget[]; check: HealthCheck };
  /** status.claims (with a claims index). */
  claims?: ClaimTime[];
}

/** An invalid record: the verdict on its spec; healthCheck when spec.healthCheck is what is wrong. */
export interface Invalid {
  invalid: Verdict;
  healthCheck?: true;
}

/**
 * What the record publishes now, from the caches through the pure core, after the names it
 * may not hold are dropped (claims, DNSNamePolicies); or the verdict on its invalid spec.
 */
export function decide(ctx: ReconcileContext, key: RecordKey, record: DNSRecord): Decision | Invalid {
  // Items of a list answer carry no apiVersion/kind: the key says what the record is.
  const problems = validateObject({ ...record, apiVersion: RECORD_API_VERSION, kind: key.kind });
  let domain: Domain | undefined;
  if (problems.length === 0 && key.kind === 'ServiceDNSRecord') {
    const domainRef = (record as ServiceDNSRecord).spec.domainRef;
    domain = ctx.view.domain(key.namespace, domainRef);
    if (!domain) {
      const where = ctx.view.domainNamespaces(key.namespace).join(', ');
      problems.push({ path: 'spec.domainRef', message: `Domain "${domainRef}" not found in namespace(s) ${where}` });
    }
  }
  if (problems.length > 0) {
    const healthCheck = problems.some((p) => p.path.startsWith('spec.healthCheck') || p.message.includes('healthCheck.host'));
    return { invalid: { status: 'False', reason: 'InvalidSpec', message: formatProblems(problems) }, ...(healthCheck ? { healthCheck: true as const } : {}) };
  }

  const route = key.kind === 'RouteDNSRecord' ? namedRoute(record as RouteDNSRecord) : undefined;
  const members = ctx.view.members(key, key.kind === 'IngressDNSRecord' ? recordHosts(record as IngressDNSRecord) : [], route);
  const recorded = recordedVerdicts((record.status as { health?: RecordHealthStatus } | undefined)?.health);
  const health = healthInput(ctx, key, record, recorded);
  const desired: Desired =
    key.kind === 'IngressDNSRecord'
      ? desiredForIngressRecord(record as IngressDNSRecord, members, health)
      : key.kind === 'RouteDNSRecord'
        ? desiredForRouteRecord(record as RouteDNSRecord, members, health)
        : desiredForServiceRecord(record as ServiceDNSRecord, domain as Domain, members, health);
  // The names of the spec and the members' locations (a route record's: its route's hostnames
  // too), published or not.
  const names = [...new Set([...claimedNames(key.kind, record, { ...(domain ? { domain } : {}), topology: members }), ...(desired.names ?? [])])].sort();
  const check = record.spec.healthCheck;
  const checkProblems = check ? healthCheckProblems(check, names) : [];
  if (checkProblems.length > 0) return { invalid: { status: 'False', reason: 'InvalidSpec', message: formatProblems(checkProblems) }, healthCheck: true };
  // One owner per name: names another record holds, or no policy allows, leave every output.
  const held = stake(ctx, key, record, [...names, ...desired.endpoints.map((e) => e.dnsName)]);
  const { endpoints, ready } = applyStake(held, desired.endpoints, desired.ready);
  const clusters = members.filter((m) => m.ingresses.length > 0 || m.services.length > 0 || (m.routes?.length ?? 0) > 0).map((m) => m.cluster);
  const probes = check && desired.probeTargets ? { targets: probeTargetsFor(desired.probeTargets, held.held, endpoints), check: probeCheck(check, held.held) } : undefined;
  return { members, recorded, desired, endpoints, ready, clusters, ...(probes ? { probes } : {}), ...(held.claims ? { claims: held.claims } : {}) };
}

/** status.health with `published` as it really is once names were dropped (claims, policy). */
export function withPublished(health: RecordHealthStatus | undefined, published: string[]): RecordHealthStatus | undefined {
  if (!health?.targets) return health;
  const set = new Set(published);
  return { ...health, targets: health.targets.map((t) => ({ ...t, published: t.published && set.has(t.target) })) };
}

/**
 * The endpoints of the names the record holds, and its verdict: a name outside the admin's
 * DNSNamePolicies is Ready=False NameNotAllowed, one another record holds NameConflict naming
 * the holder; the record's other names still publish; a holder of a contested name hears who
 * else claims it.
 */
function applyStake(held: Stake, endpoints: Endpoint[], ready: Verdict): { endpoints: Endpoint[]; ready: Verdict } {
  const kept = withoutNames(endpoints, held.dropped);
  if (held.reason) {
    const rest = kept.length > 0 ? [`other names: ${recount(ready.message, kept)}`] : [];
    return { endpoints: kept, ready: { status: 'False', reason: held.reason, message: boundedMessage([...held.problems, ...rest]) } };
  }
  if (held.contested.length > 0) return { endpoints, ready: { ...ready, message: boundedMessage([ready.message, ...held.contested]) } };
  return { endpoints, ready };
}

/**
 * The probe targets with a Host header / TLS server name the record publishes: the first name
 * it holds among those the address serves, else one holding a published endpoint of that
 * address, else any name it holds. A record that holds no name probes nothing.
 */
function probeTargetsFor(targets: ProbeTarget[], held: Set<string>, endpoints: Endpoint[]): ProbeTarget[] {
  const first = [...held].sort()[0];
  if (first === undefined) return [];
  return targets.map((t) => {
    const host =
      [t.host, ...(t.names ?? [])].find((n) => n !== undefined && held.has(n)) ??
      endpoints.find((e) => e.targets.includes(t.address) && held.has(normaliseName(e.dnsName)))?.dnsName ??
      first;
    return { ...t, host: normaliseName(host) };
  });
}

/** spec.healthCheck as probes use it: its host only while the record holds that name. */
function probeCheck(check: HealthCheck, held: Set<string>): HealthCheck {
  if (check.host === undefined || held.has(normaliseName(check.host))) return check;
  const { host: _host, ...rest } = check;
  return rest;
}

/**
 * The health input of the pure core: probe verdicts, and what is published now (fail-open's
 * memory). Both start from what the record recorded, so a restarted or newly elected
 * controller neither brings back a target its predecessor pruned (the prober starts from the
 * recorded verdicts, and an unhealthy one needs successThreshold passes) nor forgets the set
 * fail-open keeps (status.targets, when there is no DNSEndpoint to read it from).
 */
function healthInput(ctx: ReconcileContext, key: RecordKey, record: DNSRecord, recorded: HealthView): HealthInput | undefined {
  const { options } = ctx;
  if (!options.prober) return undefined;
  const live = options.dnsEndpoints === false ? undefined : ctx.view.dnsEndpoint(key.namespace, dnsEndpointName(key.kind, key.name));
  const recordedTargets = (record.status as RecordStatus | undefined)?.targets;
  return {
    probes: record.spec.healthCheck
      ? withRecorded(options.prober.health(keyOf(key), record.spec.healthCheck), recorded)
      : options.prober.health(keyOf(key), record.spec.healthCheck),
    failOpen: options.failOpen ?? true,
    ...(options.healthCheckedTtl === undefined ? {} : { healthCheckedTtl: options.healthCheckedTtl }),
    published: live?.spec.endpoints ?? ctx.confirmed.get(keyOf(key)) ?? [],
    ...(live === undefined && !ctx.confirmed.has(keyOf(key)) && recordedTargets ? { recordedTargets } : {}),
  };
}

/** The core's "published N names, M targets" head, counted again over what is still published. */
function recount(message: string, kept: Endpoint[]): string {
  const names = new Set(kept.map((e) => e.dnsName)).size;
  const targets = new Set(kept.flatMap((e) => e.targets)).size;
  const n = (k: number, noun: string) => `${k} ${noun}${k === 1 ? '' : 's'}`;
  return message.replace(/^published \d+ names?, \d+ targets?/, `published ${n(names, 'name')}, ${n(targets, 'target')}`);
}

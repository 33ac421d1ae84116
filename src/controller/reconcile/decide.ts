// The decision: what a record publishes now. Its spec is validated (and a ServiceDNSRecord's
// Domain looked up), the member observations and the health input go through the pure core
// (desiredFor*), and the names it may not hold are dropped: names outside the admin's
// DNSNamePolicies, and names an older record claims. Reads the caches and the claims index,
// writes nothing to the cluster.
import {
  RECORD_API_VERSION,
  type DNSRecord,
  type Domain,
  type Endpoint,
  type IngressDNSRecord,
  type RecordHealthStatus,
  type RouteDNSRecord,
  type ServiceDNSRecord,
} from '../../api/schema.js';
import { formatProblems, validateObject } from '../../api/validate.js';
import { desiredForIngressRecord, recordHosts } from '../../core/desired-ingress.js';
import { desiredForServiceRecord } from '../../core/desired-service.js';
import { desiredForRouteRecord, namedRoute } from '../../core/desired-route.js';
import { domainOf, serviceNames } from '../../core/service-names.js';
import { healthCheckProblems } from '../../health/spec.js';
import { contestedNote, judgeClaims, lostMessage, withoutNames, type Claim } from '../../core/claims.js';
import { boundedMessage } from '../../core/verdict.js';
import { dnsEndpointName } from '../../core/dnsendpoint.js';
import type { ClusterObservation } from '../../core/observation.js';
import type { RecordCondition, RecordStatus, Verdict } from '../../core/status.js';
import { recordedVerdicts, withRecorded, type HealthInput, type HealthView } from '../../core/health-input.js';
import type { ProbeTarget } from '../../core/health-status.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import type { ReconcileContext } from './types.js';
import { normaliseName } from '../../core/names.js';

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
  if (problems.length > 0) return { invalid: { status: 'False', reason: 'InvalidSpec', message: formatProblems(problems) } };

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
  const check = record.spec.healthCheck;
  const checkProblems = check ? healthCheckProblems(check, ownNames(record, domain, desired.endpoints, desired.names)) : [];
  if (checkProblems.length > 0) return { invalid: { status: 'False', reason: 'InvalidSpec', message: formatProblems(checkProblems) }, healthCheck: true };
  // One owner per name: names an older record holds leave every output of this one.
  const { endpoints, ready } = claim(ctx, key, record, domain, desired);
  const clusters = members.filter((m) => m.ingresses.length > 0 || m.services.length > 0 || (m.routes?.length ?? 0) > 0).map((m) => m.cluster);
  return { members, recorded, desired, endpoints, ready, clusters };
}

/**
 * Puts every record's names in the claims index at once (before the workers start), so that
 * the first reconciles already know every older claim.
 */
export function seedClaims(ctx: ReconcileContext, keys: RecordKey[]): void {
  const index = ctx.options.claims;
  if (!index) return;
  for (const key of keys) {
    const record = ctx.view.record(key);
    if (!record || record.metadata.deletionTimestamp) continue;
    if (validateObject({ ...record, apiVersion: RECORD_API_VERSION, kind: key.kind }).length > 0) continue;
    const domain = key.kind === 'ServiceDNSRecord' ? ctx.view.domain(key.namespace, (record as ServiceDNSRecord).spec.domainRef) : undefined;
    if (key.kind === 'ServiceDNSRecord' && !domain) continue;
    const names = ownNames(record, domain, []);
    index.set(claimOf(key, record), ctx.options.namePolicy?.decide(key.namespace, names).allowed ?? names);
  }
}

/** status.health with `published` as it really is once names were dropped (claims, policy). */
export function withPublished(health: RecordHealthStatus | undefined, published: string[]): RecordHealthStatus | undefined {
  if (!health?.targets) return health;
  const set = new Set(published);
  return { ...health, targets: health.targets.map((t) => ({ ...t, published: t.published && set.has(t.target) })) };
}

/**
 * Keeps only the names this record may publish and holds. A name outside the admin's
 * DNSNamePolicies is dropped (Ready=False NameNotAllowed) and claims nothing; the others are
 * stated in the claims index, and a name an older record holds is dropped too (Ready=False
 * NameConflict naming the holder). The record's other names still publish; a holder of a
 * contested name hears who else claims it.
 */
function claim(ctx: ReconcileContext, key: RecordKey, record: DNSRecord, domain: Domain | undefined, desired: Desired): { endpoints: Endpoint[]; ready: Verdict } {
  const { endpoints, ready } = desired;
  const index = ctx.options.claims;
  let names = ownNames(record, domain, endpoints, desired.names);
  const decision = ctx.options.namePolicy?.decide(key.namespace, names);
  const denied = decision?.denied ?? [];
  if (decision) names = decision.allowed;
  const self = claimOf(key, record);
  index?.set(self, names);
  const verdict = index ? judgeClaims(self, names, (n) => index.claimsOn(n)) : { lost: [], contested: [] };
  const dropped = [...denied.map((d) => d.name), ...verdict.lost.map((l) => l.name)];
  const kept = withoutNames(endpoints, dropped);
  if (dropped.length > 0) {
    const problems = [...denied.map((d) => d.why), ...(verdict.lost.length > 0 ? [lostMessage(verdict.lost)] : [])];
    const rest = kept.length > 0 ? [`other names: ${recount(ready.message, kept)}`] : [];
    const reason = denied.length > 0 ? 'NameNotAllowed' : 'NameConflict';
    return { endpoints: kept, ready: { status: 'False', reason, message: boundedMessage([...problems, ...rest]) } };
  }
  if (verdict.contested.length > 0) return { endpoints, ready: { ...ready, message: boundedMessage([ready.message, ...contestedNote(verdict.contested)]) } };
  return { endpoints, ready };
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

/** The names a record publishes or may publish: its probes may present only these as Host / SNI. */
function ownNames(record: DNSRecord, domain: Domain | undefined, endpoints: Endpoint[], claimed: string[] = []): string[] {
  const names = new Set([...endpoints.map((e) => normaliseName(e.dnsName)), ...claimed]);
  if ('hosts' in record.spec) for (const h of recordHosts(record as IngressDNSRecord)) names.add(h);
  if (domain) {
    const service = serviceNames(record as ServiceDNSRecord, domainOf(domain));
    names.add(service.global);
    if (service.alias) names.add(service.alias);
  }
  return [...names].sort();
}

function claimOf(key: RecordKey, record: DNSRecord): Claim {
  const createdAt = record.metadata.creationTimestamp;
  return { record: keyOf(key), kind: key.kind, namespace: key.namespace, name: key.name, ...(createdAt ? { createdAt: String(createdAt) } : {}) };
}

/** The core's "published N names, M targets" head, counted again over what is still published. */
function recount(message: string, kept: Endpoint[]): string {
  const names = new Set(kept.map((e) => e.dnsName)).size;
  const targets = new Set(kept.flatMap((e) => e.targets)).size;
  const n = (k: number, noun: string) => `${k} ${noun}${k === 1 ? '' : 's'}`;
  return message.replace(/^published \d+ names?, \d+ targets?/, `published ${n(names, 'name')}, ${n(targets, 'target')}`);
}

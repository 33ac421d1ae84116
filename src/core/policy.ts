// Which namespaces may publish which DNS names: the admin's DNSNamePolicy objects, decided
// purely. Like Gateway API's allowedRoutes (a listener says from which namespaces routes may
// attach, by selector), a policy says which namespaces, by label selector, may claim names at or
// below which suffixes; unlike a Gateway, the grant lives in its own cluster-scoped object, so
// tenants, who can write records and label nothing but what RBAC lets them, cannot widen it.
//
//   no policy at all        every namespace may publish every name (KubeFed's behaviour);
//   at least one policy     a name is allowed when some policy selecting the record's namespace
//                           lists a suffix equal to the name or above it; a wildcard name
//                           (*.x.example.org) needs a suffix entry with allowWildcards: true.
import type { DNSNamePolicy, LabelSelector } from '../api/schema.js';
import { compareText } from './targets.js';
import { normaliseName } from './names.js';

/** Whether labels satisfy a Kubernetes label selector ({} selects everything). */
export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? has && values.includes(value as string)
        : e.operator === 'NotIn'
          ? !has || !values.includes(value as string)
          : e.operator === 'Exists'
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

interface DeniedName {
  name: string;
  why: string;
}

export interface NameDecision {
  allowed: string[];
  denied: DeniedName[];
}

function under(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

/**
 * The names a record in `namespace` (with `labels`) may publish. `policies` are every
 * DNSNamePolicy of the cluster; none at all means no restriction.
 */
export function decideNames(
  names: Iterable<string>,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  policies: readonly DNSNamePolicy[],
): NameDecision {
  const all = [...new Set([...names].map(normaliseName))].sort(compareText);
  if (policies.length === 0) return { allowed: all, denied: [] };
  const grants = policies
    .filter((p) => selects(p.spec.namespaceSelector, labels))
    .flatMap((p) => p.spec.allowedNames.map((a) => ({ suffix: normaliseName(a.suffix), wildcards: a.allowWildcards === true })));
  const decision: NameDecision = { allowed: [], denied: [] };
  for (const name of all) {
    const wildcard = name.startsWith('*.');
    const base = wildcard ? name.slice(2) : name;
    const covering = grants.filter((g) => under(base, g.suffix));
    if (covering.length > 0 && (!wildcard || covering.some((g) => g.wildcards))) {
      decision.allowed.push(name);
      continue;
    }
    const why =
      covering.length > 0
        ? `${name}: a wildcard name needs a DNSNamePolicy granting wildcards below ${covering.map((g) => g.suffix).join(', ')} to namespace ${namespace}`
        : grants.length > 0
          ? `${name} is not allowed in namespace ${namespace}: its DNSNamePolicies grant ${[...new Set(grants.map((g) => g.suffix))].sort(compareText).slice(0, 5).join(', ')}`
          : `${name} is not allowed in namespace ${namespace}: no DNSNamePolicy grants this namespace any name`;
    decision.denied.push({ name, why });
  }
  return decision;
}

// Values as admins write them in flags and environment variables: durations in Go's notation
// and strict booleans. Shared by the CLI and the provider configuration read from the environment.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds: Go's notation as ExternalDNS and Kubernetes users write it
 * (`500ms`, `30s`, `5m`, `1h`, `1h30m`), or a bare number of seconds.
 */
export function parseDuration(value: string): number {
  const v = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(v)) return Number(v) * 1000;
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (v === '' || parts.map((p) => p[0]).join('') !== v) {
    throw new Error(`not a duration: "${value}" (use e.g. 500ms, 30s, 5m, 1h, 1h30m)`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}

/** true/false/1/0 (any case); anything else is an error naming the variable. */
export function parseBoolean(value: string, name: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`${name}=${JSON.stringify(value)} is not a boolean (use true, false, 1 or 0)`);
}

// Value parsing shared by the CLI's commands: durations and boolean environment variables.
// commander switches a boolean option on when its environment variable merely exists
// (MCDNS_LEADER_ELECT=false would enable leader election); strictBooleanEnv() reads the value.
import { InvalidArgumentError, type Command } from 'commander';

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
    throw new InvalidArgumentError(`not a duration: "${value}" (use e.g. 500ms, 30s, 5m, 1h, 1h30m)`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}

/** true/false/1/0 (any case); anything else is an error naming the variable. */
export function parseBoolean(value: string, name: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`${name}=${JSON.stringify(value)} is not a boolean (use true, false, 1 or 0)`);
}

/**
 * Re-reads every boolean option of `cmd` that came from its environment variable, strictly:
 * `MCDNS_X=false` turns `--x` off and `MCDNS_NO_X=false` leaves `--no-x`'s feature on.
 */
export function strictBooleanEnv(cmd: Command, env: NodeJS.ProcessEnv = process.env): void {
  for (const option of cmd.options) {
    if (option.required || option.optional || !option.envVar) continue;
    const key = option.attributeName();
    if (cmd.getOptionValueSource(key) !== 'env') continue;
    const on = parseBoolean(env[option.envVar] ?? '', option.envVar);
    cmd.setOptionValueWithSource(key, option.negate ? !on : on, 'env');
  }
}

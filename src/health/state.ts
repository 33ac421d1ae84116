// The per-address state machine that turns probe results into a verdict without flapping:
// failureThreshold consecutive failures make a healthy (or not yet judged) address unhealthy;
// successThreshold consecutive successes make an unhealthy one healthy again. Pure.
//
// The first verdict is optimistic: one success makes an unjudged address healthy, and it takes
// failureThreshold failures to judge it unhealthy. Until then the core counts it as healthy
// anyway, so a restart does not pull addresses out of DNS on a single lost probe.
//
// A probe the policy refuses is no failure to count: the verdict is immediate (unhealthy and
// refused), and the first probe allowed again starts over from an unjudged state.

export interface TargetState {
  /** undefined until the first verdict. */
  healthy?: boolean;
  /** ISO time of the last verdict change. */
  since?: string;
  /** The error that made the address unhealthy; kept unchanged while it stays unhealthy. */
  lastError?: string;
  /** The error of the latest failed probe, for logs. */
  latestError?: string;
  /** The probe policy refused the latest probe (see policy.ts). */
  refused?: boolean;
  successes: number;
  failures: number;
}

export interface Thresholds {
  failureThreshold: number;
  successThreshold: number;
}

export function initialState(): TargetState {
  return { successes: 0, failures: 0 };
}

/**
 * The state of an address whose verdict was recorded before this process probed it (the
 * record's status.health, written by an earlier process or leader). An unhealthy one needs
 * successThreshold successes to come back, exactly as if this process had judged it.
 */
export function recordedState(verdict: { healthy: boolean; since: string; lastError?: string }): TargetState {
  const error = verdict.healthy ? {} : { lastError: verdict.lastError ?? 'failing health checks' };
  return { healthy: verdict.healthy, since: verdict.since, ...error, successes: 0, failures: 0 };
}

/** The state after one probe result, and whether the verdict changed. */
export function observe(
  current: TargetState,
  result: { ok: boolean; error?: string; refused?: boolean },
  thresholds: Thresholds,
  now: Date,
): { state: TargetState; changed: boolean } {
  if (result.refused) {
    const error = result.error ?? 'probe refused';
    if (current.refused && current.lastError === error) return { state: current, changed: false };
    return { state: { healthy: false, since: now.toISOString(), lastError: error, latestError: error, refused: true, successes: 0, failures: 0 }, changed: true };
  }
  const state = current.refused ? initialState() : current;
  if (result.ok) {
    const successes = state.successes + 1;
    const recovered = state.healthy === false && successes >= thresholds.successThreshold;
    if (state.healthy === undefined || recovered) {
      return { state: { healthy: true, since: now.toISOString(), successes, failures: 0 }, changed: true };
    }
    return { state: { ...state, successes, failures: 0 }, changed: false };
  }
  const failures = state.failures + 1;
  const error = result.error ?? 'probe failed';
  if (state.healthy !== false && failures >= thresholds.failureThreshold) {
    const next: TargetState = { healthy: false, since: now.toISOString(), lastError: error, latestError: error, successes: 0, failures };
    return { state: next, changed: true };
  }
  return { state: { ...state, successes: 0, failures, latestError: error }, changed: false };
}

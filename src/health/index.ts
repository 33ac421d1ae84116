// Active health checks: what the controller wires in. See docs/health-checks.md.
export { Prober, DEFAULT_PROBE_CONCURRENCY } from './prober.js';
export type { ProberOptions } from './prober.js';
export type { HealthTransition, ProbeHook, ProbeResult, ProberStats, TransitionListener } from './prober-events.js';
export { runProbe, probeFailure } from './probe.js';
export { ProbePolicy, parseCidr, parsePortRange } from './policy.js';
export type { ProbePolicyOptions } from './policy.js';
export type { ProbeOptions, ProbeOutcome, ProbeRequest } from './probe.js';
export { HEALTH_CHECK_DEFAULTS, resolveHealthCheck, parseStatusRange, statusAccepted, describeStatusRanges } from './spec.js';
export type { ProbeProtocol, ResolvedHealthCheck, StatusRange } from './spec.js';
export { initialState, observe, recordedState } from './state.js';
export type { TargetState, Thresholds } from './state.js';

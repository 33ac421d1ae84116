// Active health checks: what the controller wires in. See docs/health-checks.md.
export { Prober, DEFAULT_PROBE_CONCURRENCY } from './prober.js';
export type { HealthTransition } from './prober-events.js';
export { ProbePolicy } from './policy.js';
export type { ProbePolicyOptions } from './policy.js';

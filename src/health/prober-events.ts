// What the prober tells the rest of the controller: verdict changes (one per record that tracks
// the address), single probe results for metrics, and its counters.
import type { ProbeProtocol } from './spec.js';

/** A verdict change of one address, once per record that tracks it. */
export interface HealthTransition {
  record: string;
  target: string;
  cluster: string;
  healthy: boolean;
  since: string;
  lastError?: string;
  /**
   * The record had no verdict of this address before: its first judgement, or the record just
   * joined a probe that has one. A first "healthy" is no recovery (no Event says so).
   */
  first: boolean;
}

/** One probe result, for metrics (counters and a duration histogram). */
export interface ProbeResult {
  target: string;
  protocol: ProbeProtocol;
  port: number;
  ok: boolean;
  error?: string;
  statusCode?: number;
  /** The records sharing this probe. */
  records: string[];
  /** Their namespace. */
  namespace: string;
  /** How long the probe waited for a place among the probes in flight. */
  queuedMs: number;
}

export interface ProberStats {
  /** Records with at least one tracked address. */
  records: number;
  /** Distinct probes scheduled. */
  targets: number;
  inFlight: number;
  queued: number;
  /** Since start. */
  probes: number;
  failures: number;
  transitions: number;
}

export type TransitionListener = (t: HealthTransition) => void;
export type ProbeHook = (result: ProbeResult, durationMs: number) => void;

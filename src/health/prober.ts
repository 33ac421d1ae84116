// The prober: probes the addresses records publish, each on its own interval, with bounded
// concurrency and a timeout per probe, off the reconcile path. Reconciles read its verdicts
// through health(record) (a snapshot the pure core consumes) and tell it what to probe through
// track(record, targets, check). Every verdict change is announced to onTransition listeners,
// so the controller can re-queue the record; onProbe hooks see every single result (metrics).
//
// Records of one namespace that probe the same address with the same settings share one probe:
// ingress controllers often serve many hosts from one load balancer. Settings include the Host
// header, which defaults to the record's host, so sharing happens only when that is the same
// too. Probes of different namespaces are never shared: each namespace's probes queue for their
// own fair share of the concurrency (limiter.ts), and their lookups end within their timeout.
//
// Every probe passes the probe policy first (screen.ts); a refused target's verdict is
// immediate. Until a hostname has been checked once, health(record, check) reports it refused
// ("waiting"), so nothing is published for it before the check: a screened result wakes the
// record through onScreened listeners.
import { isIP } from 'node:net';
import { parseKey } from '../core/record-key.js';
import type { HealthCheck } from '../api/schema.js';
import type { HealthView, ProbeHealth } from '../core/health-input.js';
import type { ProbeTarget } from '../core/health-status.js';
import { log as defaultLogger, type Logger } from '../log.js';
import { Limiter } from './limiter.js';
import { ProbePolicy, refusal } from './policy.js';
import type { ProbeRequest } from './probe.js';
import type { HealthTransition, ProbeHook, ProbeResult, ProberStats, TransitionListener } from './prober-events.js';
import { probeIdentity, requestFor } from './probe-request.js';
import { screenAndProbe, systemLookup, type Lookup, type Outcome } from './screen.js';
import { resolveHealthCheck, type ResolvedHealthCheck } from './spec.js';
import { initialState, observe, recordedState, type TargetState } from './state.js';

export const DEFAULT_PROBE_CONCURRENCY = 32;

export interface ProberOptions {
  /** Probes in flight at most (default 32); the others wait their turn. */
  concurrency?: number;
  logger?: Logger;
  /** Clock of the verdicts' `since`. */
  now?: () => Date;
  /** Extra trusted CA certificates (PEM) for https probes, beside the system roots. */
  ca?: string[];
  /** Which addresses and ports may be probed (default: the built-in refusals only). */
  policy?: ProbePolicy;
  /** Resolves a hostname target to its addresses (default: the system resolver, all addresses). */
  lookup?: Lookup;
  /** Start paused (a replica that may not write yet): nothing is tracked or probed until resume(). */
  paused?: boolean;
}

/** The reason shown while a hostname target waits for its first policy check. */
const WAITING_FOR_CHECK = 'waiting for the probe policy check of its addresses';

interface ProbeEntry {
  key: string;
  /** The namespace of its records: its share of the concurrency. */
  namespace: string;
  request: ProbeRequest;
  settings: ResolvedHealthCheck;
  state: TargetState;
  /** record → cluster of the address, for transitions and logs. */
  subscribers: Map<string, string>;
  timer?: NodeJS.Timeout;
  /** When the next probe is due (epoch ms); advances by the interval, so probes do not drift. */
  dueAt: number;
  removed: boolean;
  /** The policy has checked this target's addresses at least once. */
  screened: boolean;
}


export class Prober {
  private readonly entries = new Map<string, ProbeEntry>();
  /** record → address → entry key */
  private readonly records = new Map<string, Map<string, string>>();
  private readonly limiter: Limiter;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly ca: string[] | undefined;
  private readonly listeners = new Set<TransitionListener>();
  private readonly hooks = new Set<ProbeHook>();
  private readonly screenedListeners = new Set<(record: string) => void>();
  private readonly policy: ProbePolicy;
  private readonly lookup: Lookup;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counters = { probes: 0, failures: 0, transitions: 0 };
  private stopped = false;
  private paused: boolean;

  constructor(opts: ProberOptions = {}) {
    this.paused = opts.paused ?? false;
    this.limiter = new Limiter(opts.concurrency ?? DEFAULT_PROBE_CONCURRENCY);
    this.log = opts.logger ?? defaultLogger;
    this.now = opts.now ?? (() => new Date());
    this.ca = opts.ca;
    this.policy = opts.policy ?? new ProbePolicy();
    this.lookup = opts.lookup ?? systemLookup;
  }

  /**
   * Probe these addresses for `record` with `check` (spec.healthCheck), replacing what the
   * record tracked before. Idempotent: unchanged addresses keep their state and schedule; new
   * ones are probed at once; dropped ones stop. Call it on every reconcile of a record that has
   * spec.healthCheck. `recorded`: verdicts from the record's status, the starting state of an
   * address this process has no state for yet (a restart or a new leader does not forget a
   * pruned target). Ignored while paused: only a replica that may write probes.
   */
  track(record: string, targets: ProbeTarget[], check: HealthCheck, recorded?: HealthView): void {
    this.trackResolved(record, targets, resolveHealthCheck(check), recorded);
  }

  /** track() with the defaults already applied (and intervals in ms, which tests use). */
  trackResolved(record: string, targets: ProbeTarget[], settings: ResolvedHealthCheck, recorded?: HealthView): void {
    if (this.stopped || this.paused) return;
    const next = new Map<string, string>();
    const namespace = parseKey(record).namespace;
    for (const target of targets) {
      const request = requestFor(target, settings);
      const key = `${namespace} ${probeIdentity(request, settings)}`;
      next.set(target.address, key);
      const existing = this.entries.get(key);
      const entry = existing ?? this.create(key, namespace, request, settings, recorded?.target(target.address));
      const joining = !entry.subscribers.has(record);
      entry.subscribers.set(record, target.cluster);
      // A record joining a probe that already has a verdict hears it now, not at the next change.
      // A verdict taken from the record itself is no news to it (a restart announces nothing).
      if (joining && existing && entry.state.healthy !== undefined) this.catchUp(record, entry);
    }
    for (const [address, key] of this.records.get(record) ?? []) {
      if (next.get(address) !== key) this.unsubscribe(record, key);
    }
    if (next.size > 0) this.records.set(record, next);
    else this.records.delete(record);
  }

  /** Stop probing for `record` (deleted, or spec.healthCheck removed). */
  untrack(record: string): void {
    for (const key of this.records.get(record)?.values() ?? []) this.unsubscribe(record, key);
    this.records.delete(record);
  }

  /**
   * A snapshot of the verdicts of `record`'s addresses, for the pure core. With the record's
   * `check`, addresses the policy refuses, and hostnames not checked yet, read as refused even
   * before the record is tracked, so a first reconcile publishes none of them.
   */
  health(record: string, check?: HealthCheck): HealthView {
    const verdicts = new Map<string, ProbeHealth>();
    const screened = new Set<string>();
    for (const [address, key] of this.records.get(record) ?? []) {
      const entry = this.entries.get(key);
      if (entry?.screened) screened.add(address);
      const state = entry?.state;
      if (state?.healthy === undefined || state.since === undefined) continue;
      verdicts.set(address, {
        healthy: state.healthy,
        since: state.since,
        ...(state.healthy || state.lastError === undefined ? {} : { lastError: state.lastError }),
        ...(state.refused ? { refused: true } : {}),
      });
    }
    if (check === undefined) return { target: (address) => verdicts.get(address) };
    const port = resolveHealthCheck(check).port;
    const since = this.now().toISOString();
    return {
      target: (address) => {
        const known = verdicts.get(address);
        if (known?.refused || screened.has(address)) return known;
        const why = isIP(address) ? this.policy.refuses(address, port) : refusal(WAITING_FOR_CHECK);
        return why === undefined ? known : { healthy: false, since, lastError: why, refused: true };
      },
    };
  }

  /** Called with a record whose target was checked by the policy without a verdict change. */
  onScreened(listener: (record: string) => void): () => void {
    this.screenedListeners.add(listener);
    return () => this.screenedListeners.delete(listener);
  }

  /** Called on every verdict change (and when a record joins a probe that has one). Returns an unsubscribe function. */
  onTransition(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after every probe with its result and duration, for metrics. Returns an unsubscribe function. */
  onProbe(hook: ProbeHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /** The records tracked now. */
  tracked(): string[] {
    return [...this.records.keys()];
  }

  stats(): ProberStats {
    return {
      records: this.records.size,
      targets: this.entries.size,
      inFlight: this.limiter.active,
      queued: this.limiter.queued,
      ...this.counters,
    };
  }

  /** Stops scheduling and waits for the probes in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.pause();
  }

  /**
   * Stops probing and forgets every verdict (this replica lost the right to write: a deposed
   * leader must not keep probing); track() is ignored until resume(). Results of probes in
   * flight are dropped. Resolves when they have finished.
   */
  async pause(): Promise<void> {
    this.paused = true;
    for (const entry of this.entries.values()) {
      entry.removed = true;
      if (entry.timer) clearTimeout(entry.timer);
    }
    this.entries.clear();
    this.records.clear();
    await Promise.all([...this.inFlight]);
  }

  /** Accepts track() again (this replica may write); verdicts start from what records say. */
  resume(): void {
    this.paused = false;
  }

  private create(key: string, namespace: string, request: ProbeRequest, settings: ResolvedHealthCheck, recorded?: ProbeHealth): ProbeEntry {
    const entry: ProbeEntry = {
      key,
      namespace,
      request,
      settings,
      state: recorded ? recordedState(recorded) : initialState(),
      subscribers: new Map(),
      dueAt: Date.now(),
      removed: false,
      screened: false,
    };
    this.entries.set(key, entry);
    this.schedule(entry, 0);
    return entry;
  }

  private unsubscribe(record: string, key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.subscribers.delete(record);
    if (entry.subscribers.size > 0) return;
    entry.removed = true;
    if (entry.timer) clearTimeout(entry.timer);
    this.entries.delete(key);
  }

  private schedule(entry: ProbeEntry, delayMs: number): void {
    entry.timer = setTimeout(() => this.launch(entry), delayMs);
    // Timers alone must not keep a process alive; the controller has its own handles.
    entry.timer.unref();
  }

  private launch(entry: ProbeEntry): void {
    entry.timer = undefined;
    const run = this.probeOnce(entry).catch((err: unknown) => {
      // Whatever broke this probe, the target keeps its schedule: a probe that stops silently
      // would leave a dead target published as healthy.
      this.log.error('probe failed to run', { target: entry.request.address, error: (err as Error).message });
      if (!entry.removed && !this.stopped) {
        this.record(entry, { ok: false, error: 'probe could not be sent (invalid request)', durationMs: 0 });
        this.reschedule(entry);
      }
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async probeOnce(entry: ProbeEntry): Promise<void> {
    const queued = performance.now();
    let queuedMs = 0;
    const outcome = await this.limiter.run(async () => {
      queuedMs = performance.now() - queued;
      return entry.removed || this.stopped ? undefined : screenAndProbe(entry.request, this.policy, this.lookup, this.ca);
    }, entry.namespace);
    if (outcome === undefined || entry.removed || this.stopped) return;
    this.record(entry, outcome, queuedMs);
    this.reschedule(entry);
  }

  private reschedule(entry: ProbeEntry): void {
    // Fixed rate from the first probe; slots missed while waiting for the limiter are skipped.
    const now = Date.now();
    entry.dueAt = Math.max(entry.dueAt + entry.settings.intervalMs, now);
    this.schedule(entry, entry.dueAt - now);
  }

  private record(entry: ProbeEntry, outcome: Outcome, queuedMs = 0): void {
    const firstCheck = !entry.screened;
    const wasRefused = entry.state.refused === true;
    entry.screened = true;
    this.counters.probes++;
    if (!outcome.ok) this.counters.failures++;
    const records = [...entry.subscribers.keys()];
    const result: ProbeResult = {
      target: entry.request.address,
      protocol: entry.request.protocol,
      port: entry.request.port,
      ok: outcome.ok,
      records,
      namespace: entry.namespace,
      queuedMs,
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
      ...(outcome.statusCode === undefined ? {} : { statusCode: outcome.statusCode }),
    };
    for (const hook of this.hooks) this.safely('probe hook', () => hook(result, outcome.durationMs));
    if (!outcome.ok) {
      // The exact status code is for the admin's log; the tenant's status shows its class only.
      this.log.debug('probe failed', { record: records.join(','), target: result.target, error: outcome.error, statusCode: outcome.statusCode });
    }

    const judged = entry.state.healthy !== undefined;
    const { state, changed } = observe(entry.state, outcome, entry.settings, this.now());
    entry.state = state;
    if (!changed) {
      // No verdict yet, but the target now may (or may again) be published: tell its records.
      if (firstCheck || (wasRefused && !state.refused)) {
        for (const record of entry.subscribers.keys()) {
          for (const listener of this.screenedListeners) this.safely('screened listener', () => listener(record));
        }
      }
      return;
    }
    this.counters.transitions++;
    for (const [record, cluster] of entry.subscribers) this.announce(record, cluster, entry, !judged);
  }

  private catchUp(record: string, entry: ProbeEntry): void {
    setImmediate(() => {
      const cluster = entry.subscribers.get(record);
      if (!entry.removed && !this.stopped && cluster !== undefined) this.announce(record, cluster, entry, true, false);
    });
  }

  private announce(record: string, cluster: string, entry: ProbeEntry, first: boolean, logIt = true): void {
    const { healthy, since, lastError } = entry.state;
    if (healthy === undefined || since === undefined) return;
    const transition: HealthTransition = {
      record,
      target: entry.request.address,
      cluster,
      healthy,
      since,
      ...(healthy || lastError === undefined ? {} : { lastError }),
      first,
    };
    if (logIt) {
      const fields = { record, cluster, target: transition.target, since, ...(transition.lastError ? { lastError: transition.lastError } : {}) };
      if (healthy) this.log.info('target healthy', fields);
      else this.log.warn('target unhealthy', fields);
    }
    for (const listener of this.listeners) this.safely('transition listener', () => listener(transition));
  }

  /** A failing listener or hook must not stop the probes of everyone else. */
  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error(`${what} threw`, { error: (err as Error).message });
    }
  }
}

// The set of observed member clusters, changed at run time as clusters join, leave or get new
// credentials.
import type { ClusterObservation } from '../core/observation.js';
import { log as rootLog, type Logger } from '../log.js';
import { memberFingerprint, type MemberChangeSet, type MemberConfig } from './sources/member-config.js';
import { MemberObserver, type MemberChange, type MemberLink, type MemberObserverOptions } from './member.js';
import type { RecordQuery } from './projections.js';

export interface ClusterChange extends MemberChange {
  cluster: string;
  /**
   * State only: the cluster's observer was replaced as a whole (new credentials): any object may
   * have changed, not only those of the records it served.
   */
  replaced?: boolean;
}

/** What MemberSet needs of an observer; MemberObserver in production. */
export interface Observer {
  readonly cluster: string;
  start(): void;
  stop(): Promise<void>;
  /** The whole cluster (tests, diagnostics). */
  snapshot(): ClusterObservation;
  /** State and topology, no objects. */
  status(): ClusterObservation;
  /** The objects one record can use. */
  observationFor(q: RecordQuery): ClusterObservation;
  /** Objects indexed (retained), by kind. */
  counts(): Record<string, number>;
  /** Round trip, heartbeat timeout and objects seen. */
  link(): MemberLink;
  synced(): boolean;
  onChange(cb: (change: MemberChange) => void): () => void;
}

export interface MemberSetOptions {
  observer?: MemberObserverOptions;
  logger?: Logger;
  /**
   * How long a replaced observer keeps answering snapshots while its successor has not synced
   * yet (default: the observer's offline grace, 30 s). Without it a token rotation would show
   * the cluster as 'unknown' for the length of a full re-list.
   */
  handoverTimeoutMs?: number;
  /** Builds observers; tests inject fakes. */
  create?: (config: MemberConfig) => Observer;
}

interface Entry {
  config: MemberConfig;
  fingerprint: string;
  observer: Observer;
  unsubscribe: () => void;
  /** The observer being replaced, still answering until `observer` has synced. */
  previous?: { observer: Observer; unsubscribe: () => void; timer: NodeJS.Timeout };
}

export class MemberSet {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(change: ClusterChange) => void>();
  private readonly logger: Logger;
  private readonly create: (config: MemberConfig) => Observer;
  private readonly handoverTimeoutMs: number;

  constructor(opts: MemberSetOptions = {}) {
    this.logger = opts.logger ?? rootLog;
    const observerOpts: MemberObserverOptions = { logger: this.logger, ...opts.observer };
    this.create = opts.create ?? ((config) => new MemberObserver(config, observerOpts));
    this.handoverTimeoutMs = opts.handoverTimeoutMs ?? opts.observer?.offlineGraceMs ?? 30_000;
  }

  /** Every change of every member, tagged with the cluster name. */
  onChange(cb: (change: ClusterChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Starts observing a member; an existing member of that name is updated instead. */
  add(config: MemberConfig): void {
    if (this.entries.has(config.name)) {
      this.update(config);
      return;
    }
    const observer = this.create(config);
    const entry: Entry = { config, fingerprint: memberFingerprint(config), observer, unsubscribe: () => undefined };
    entry.unsubscribe = this.subscribe(entry, observer);
    this.entries.set(config.name, entry);
    observer.start();
    this.logger.info('observing member cluster', { cluster: config.name, source: config.source });
    this.emit({ cluster: config.name, kind: 'State' });
  }

  /**
   * Replaces a member's observer when its connection or registration changed (no-op when
   * nothing did). The old observer keeps serving snapshots until the new one has synced.
   */
  update(config: MemberConfig): void {
    const entry = this.entries.get(config.name);
    if (!entry) {
      this.add(config);
      return;
    }
    const fingerprint = memberFingerprint(config);
    if (fingerprint === entry.fingerprint) return;
    if (entry.previous) this.dropPrevious(entry); // a newer change supersedes a pending handover
    const old = { observer: entry.observer, unsubscribe: entry.unsubscribe };
    entry.previous = { ...old, timer: setTimeout(() => this.finishHandover(entry), this.handoverTimeoutMs) };
    entry.config = config;
    entry.fingerprint = fingerprint;
    entry.observer = this.create(config);
    entry.unsubscribe = this.subscribe(entry, entry.observer);
    entry.observer.start();
    this.logger.info('member cluster registration changed, reconnecting', { cluster: config.name });
  }

  async remove(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    this.entries.delete(name);
    entry.unsubscribe();
    const stopping = [entry.observer.stop()];
    if (entry.previous) stopping.push(this.dropPrevious(entry));
    await Promise.all(stopping);
    this.logger.info('stopped observing member cluster', { cluster: name });
    this.emit({ cluster: name, kind: 'State' });
  }

  /** Applies a batch from a member source (e.g. KubeFedClusterSource.onChange). */
  async apply(change: MemberChangeSet): Promise<void> {
    for (const m of change.added) this.add(m);
    for (const m of change.updated) this.update(m);
    await Promise.all(change.removed.map((n) => this.remove(n)));
  }

  /** One whole observation per member, sorted by cluster name. O(objects): not for reconciles. */
  snapshots(): ClusterObservation[] {
    return this.serving().map((o) => o.snapshot());
  }

  /** Each member's state and topology (no objects), sorted by cluster name. */
  statuses(): ClusterObservation[] {
    return this.serving().map((o) => o.status());
  }

  /**
   * What one record can use of each member, sorted by cluster name: O(clusters), independent of
   * how many objects the members hold. The pure core reads it as it would whole snapshots.
   */
  observationsFor(q: RecordQuery): ClusterObservation[] {
    return this.serving().map((o) => o.observationFor(q));
  }

  /** Objects indexed (retained) per member and kind. */
  counts(): Array<{ cluster: string; kind: string; objects: number }> {
    return this.serving().flatMap((o) => Object.entries(o.counts()).map(([kind, objects]) => ({ cluster: o.cluster, kind, objects })));
  }

  /** Each member's link: round trip, heartbeat timeout, objects it holds by kind. */
  links(): Array<MemberLink & { cluster: string }> {
    return this.serving().map((o) => ({ cluster: o.cluster, ...o.link() }));
  }

  private serving(): Observer[] {
    return this.names().map((name) => {
      const entry = this.entries.get(name)!;
      return entry.previous && !entry.observer.synced() ? entry.previous.observer : entry.observer;
    });
  }

  /** Every member's observer (the serving one) has synced. */
  synced(): boolean {
    return [...this.entries.values()].every((e) => e.observer.synced() || (e.previous?.observer.synced() ?? false));
  }

  async stop(): Promise<void> {
    await Promise.all(this.names().map((n) => this.remove(n)));
  }

  private subscribe(entry: Entry, observer: Observer): () => void {
    return observer.onChange((change) => {
      // Only the serving observer's changes matter; the successor's count once it has synced.
      if (entry.previous && observer === entry.observer) {
        if (!observer.synced()) return;
        this.finishHandover(entry);
        return;
      }
      this.emit({ ...change, cluster: entry.config.name });
    });
  }

  private finishHandover(entry: Entry): void {
    if (!entry.previous) return;
    void this.dropPrevious(entry);
    // The serving observer changed as a whole: consumers must re-read everything of it.
    this.emit({ cluster: entry.config.name, kind: 'State', replaced: true });
  }

  private async dropPrevious(entry: Entry): Promise<void> {
    const previous = entry.previous;
    if (!previous) return;
    entry.previous = undefined;
    clearTimeout(previous.timer);
    previous.unsubscribe();
    await previous.observer.stop();
  }

  private emit(change: ClusterChange): void {
    for (const cb of this.listeners) {
      try {
        cb(change);
      } catch (err) {
        this.logger.error('member change listener threw', { cluster: change.cluster, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}

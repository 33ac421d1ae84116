// A list+watch cache that keeps only the objects somebody wants, in place of client-node's
// ListWatch (which keeps every object it sees). Which objects are wanted can grow at run time:
// an object that was dropped when it arrived is then fetched with a targeted read (read()), and
// one that is no longer wanted is let go (forget()). Built for member clusters full of workloads
// that no record refers to: such an object costs the parsing of its events and nothing kept.
//
// Staying correct across re-lists, 410s and reads that race the watch:
// - every list page and watch event is selected by what is wanted when it arrives; an object
//   cached and no longer selected (its labels or hosts changed) is deleted, as ListWatch would
//   on a DELETED;
// - a re-list replaces the cache: what it does not hold is deleted, so a re-list after a 410
//   reports objects deleted meanwhile;
// - a read waits until no list of the resource is in flight; if a list is applied while it runs
//   it is done again (the list may have been filtered before the read's interest began);
// - a read's answer is applied object by object, except for objects that a watch event touched
//   while it ran (the watch is newer, or at least as complete: it delivers every later change).
import type { KubernetesObject, Watch } from '@kubernetes/client-node';
import type { ListFn, ListWatchLike, SelectedList } from './informer.js';

type Verb = 'add' | 'update' | 'delete';

/** How an object reached the cache, and whether it was kept: what the member metrics count. */
type Arrival = 'listed' | 'event' | 'read';

export interface FilteredListWatchOptions {
  /** A server-side filter; a function is asked again at each (re)connect (see reselect()). */
  labelSelector?: string | (() => string | undefined);
  fieldSelector?: string;
  /** Counts objects as they arrive, kept or not (cheap: it runs per watch event). */
  arrived?(how: Arrival, kept: number, dropped: number): void;
  /** The first list waits for this (what is wanted is not known before). */
  gate?: Promise<void>;
}

/** What one targeted read covers: objects of one namespace that `covers` says it answers for. */
export interface ReadScope<T> {
  namespace: string;
  /** Whether a cached object (or an event's object, by namespace/name and labels) is within the read. */
  covers(obj: KubernetesObject | T): boolean;
}

interface PendingRead<T> {
  scope: ReadScope<T>;
  /** "namespace/name" of objects a watch event touched while the read ran. */
  touched: Set<string>;
}

/** A read's answer while it arrives: every key present, the objects selected (as they came). */
interface ReadAnswer {
  present: Set<string>;
  candidates: KubernetesObject[];
  dropped: number;
}

const keyOf = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const READ_ATTEMPTS = 3;
/** ListWatch's backoff between watch streams that ended on their own (reset by any event). */
const RECONNECT_BASE_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

export class FilteredListWatch<T extends KubernetesObject> implements ListWatchLike<T> {
  /** namespace → name → kept object. */
  private readonly objects = new Map<string, Map<string, T>>();
  private readonly callbacks: Record<Verb | 'error' | 'connect', Array<(x: never) => void>> = { add: [], update: [], delete: [], error: [], connect: [] };
  private resourceVersion = '';
  private stopped = false;
  private hasConnected = false;
  private reconnectDelayMs = 0;
  private request: AbortController | undefined;
  /** Settles when the list in flight has been applied. */
  private listing: Promise<void> | undefined;
  private listsStarted = 0;
  private listsApplied = 0;
  /** Settles when the first list has been applied (or the cache stopped). */
  private readonly firstList: Promise<void>;
  private firstListDone: () => void = () => undefined;
  private readonly pending = new Set<PendingRead<T>>();
  /** Objects of the resource on the server, as its lists and events tell (kept or not). */
  private population = 0;
  /** A watch request is being opened (its answer has not come yet). */
  private connecting = false;
  /** reselect() asked for a new watch: the one open (or opening) goes. */
  private reselectAsked = false;
  private readonly reselected: Array<() => void> = [];

  constructor(
    private readonly path: string,
    private readonly watch: Watch,
    private readonly listFn: ListFn<T>,
    private readonly select: (obj: KubernetesObject) => T | undefined,
    private readonly opts: FilteredListWatchOptions = {},
  ) {
    this.firstList = new Promise((r) => (this.firstListDone = r));
  }

  on(verb: Verb | 'error' | 'connect', cb: (x: never) => void): void {
    this.callbacks[verb].push(cb);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.reconnectDelayMs = 0;
    this.hasConnected = false;
    await this.run(null);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.firstListDone();
    this.settleReselects();
    this.request?.abort();
    this.request = undefined;
  }

  list(): T[] {
    return [...this.objects.values()].flatMap((ns) => [...ns.values()]);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ?? '')?.get(name);
  }

  /** Objects kept. */
  get kept(): number {
    let n = 0;
    for (const ns of this.objects.values()) n += ns.size;
    return n;
  }

  /** Objects of the resource the server holds, as far as lists and watch events tell. */
  get seen(): number {
    return this.population;
  }

  /** Kept objects of a namespace (what a shrinking interest re-checks). */
  inNamespace(namespace: string): T[] {
    return [...(this.objects.get(namespace)?.values() ?? [])];
  }

  /**
   * Fetches what `scope` covers and applies it: objects selected are kept, covered objects absent
   * from the answer are deleted. `fetch` hands the server's answer over page by page (`take`):
   * only the objects selected are held until the answer is complete.
   */
  async read(scope: ReadScope<T>, fetch: (take: (items: readonly KubernetesObject[]) => void) => Promise<void>): Promise<void> {
    // Before the first list has begun, that list will hold what the read would fetch.
    if (this.listsStarted === 0) return this.firstList;
    for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
      while (this.listing) await this.listing;
      if (this.stopped) return;
      const listsBefore = this.listsApplied;
      const pending: PendingRead<T> = { scope, touched: new Set() };
      const answer: ReadAnswer = { present: new Set(), candidates: [], dropped: 0 };
      this.pending.add(pending);
      try {
        await fetch((items) => {
          for (const raw of items) {
            answer.present.add(keyOf(raw));
            if (this.select(raw) !== undefined) answer.candidates.push(raw);
            else answer.dropped++;
          }
        });
      } finally {
        this.pending.delete(pending);
      }
      if (this.stopped) return;
      // A list applied meanwhile may have been filtered before this read's interest began.
      if (this.listsApplied !== listsBefore && attempt < READ_ATTEMPTS) continue;
      this.applyRead(answer, pending);
      return;
    }
  }

  /**
   * Opens the watch again, from where it is (no re-list), with the label selector as it is now;
   * resolves once the new watch is open. Objects that the new selector lets through and that
   * changed before it are not in its stream: the caller reads them (read()) after this resolves.
   */
  reselect(): Promise<void> {
    if (this.stopped || (!this.request && !this.connecting)) return Promise.resolve(); // the next connect takes it
    const opened = new Promise<void>((r) => this.reselected.push(r));
    this.reselectAsked = true;
    if (this.request) this.request.abort();
    return opened;
  }

  /** Lets go of kept objects of `namespace` that `drop` names, reporting each as deleted. */
  forget(namespace: string, drop: (obj: T) => boolean): void {
    for (const obj of this.inNamespace(namespace)) if (drop(obj)) this.remove(obj);
  }

  private applyRead(answer: ReadAnswer, pending: PendingRead<T>): void {
    // Behind a label selector the read may bring objects the lists and events never counted.
    const uncounted = this.labelSelector() !== undefined;
    let kept = 0;
    // Selected again: what is wanted may have shrunk while the read ran.
    for (const raw of answer.candidates) {
      const k = keyOf(raw);
      if (pending.touched.has(k)) continue;
      const obj = this.select(raw);
      if (obj) {
        kept++;
        if (uncounted && !this.has(obj)) this.population++;
        this.put(obj);
      } else {
        this.removeKey(k);
      }
    }
    this.opts.arrived?.('read', kept, answer.candidates.length - kept + answer.dropped);
    for (const obj of this.inNamespace(pending.scope.namespace)) {
      const k = keyOf(obj);
      if (answer.present.has(k) || pending.touched.has(k) || !pending.scope.covers(obj)) continue;
      if (uncounted) this.population = Math.max(0, this.population - 1);
      this.remove(obj);
    }
  }

  private has(obj: T): boolean {
    return this.objects.get(obj.metadata?.namespace ?? '')?.has(obj.metadata?.name ?? '') ?? false;
  }

  // ---- list and watch, as ListWatch does them ----

  private async run(err: unknown): Promise<void> {
    this.request?.abort();
    this.request = undefined;
    const code = (err as { statusCode?: number; code?: number } | null)?.statusCode ?? (err as { code?: number } | null)?.code;
    if (err && this.reselectAsked && !this.stopped) {
      // Our own abort, for a new selector: reconnect at once from where the watch was.
      this.reselectAsked = false;
      this.reconnectDelayMs = 0;
    } else if (err && code === 410) {
      this.resourceVersion = '';
    } else if (err && (err as { name?: string }).name === 'TimeoutError') {
      // A client-side timeout already waited the whole request: reconnect at once.
      this.reconnectDelayMs = 0;
    } else if (err) {
      this.settleReselects();
      this.emit('error', err);
      return;
    }
    if (this.stopped) return;
    this.emit('connect', undefined);
    if (this.opts.gate) await this.opts.gate;
    if (this.stopped) return;
    if (!this.resourceVersion && !(await this.relist())) return;
    if (this.reconnectDelayMs > 0 && this.hasConnected) await new Promise((r) => setTimeout(r, this.reconnectDelayMs));
    if (this.hasConnected) this.reconnectDelayMs = Math.min(this.reconnectDelayMs > 0 ? this.reconnectDelayMs * 2 : RECONNECT_BASE_MS, RECONNECT_MAX_MS);
    this.hasConnected = true;
    if (this.stopped) return;
    const query: Record<string, string> = { resourceVersion: this.resourceVersion };
    const labelSelector = this.labelSelector();
    if (labelSelector !== undefined) query['labelSelector'] = labelSelector;
    if (this.opts.fieldSelector !== undefined) query['fieldSelector'] = this.opts.fieldSelector;
    this.reselectAsked = false;
    this.connecting = true;
    try {
      this.request = await this.watch.watch(this.path, query, (phase, obj, raw) => this.onEvent(phase, obj as T | undefined, raw as KubernetesObject), (e) => void this.run(e));
    } finally {
      this.connecting = false;
    }
    // Asked for another selector while this one was being opened: open again.
    if (this.reselectAsked && this.request) this.request.abort();
    else this.settleReselects();
  }

  /** The label selector as it is now. */
  labelSelector(): string | undefined {
    const s = this.opts.labelSelector;
    return typeof s === 'function' ? s() : s;
  }

  private settleReselects(): void {
    for (const r of this.reselected.splice(0)) r();
  }

  /** Lists and applies the list; false when the list failed (reported as an error). */
  private async relist(): Promise<boolean> {
    let done: () => void = () => undefined;
    this.listing = new Promise<void>((r) => (done = r));
    this.listsStarted++;
    try {
      const list = (await this.listFn()) as SelectedList<T>;
      this.applyList(list);
      return true;
    } catch (e) {
      this.emit('error', e);
      return false;
    } finally {
      this.listing = undefined;
      done();
    }
  }

  private applyList(list: SelectedList<T>): void {
    const listed = new Map<string, T>();
    for (const obj of list.items) listed.set(keyOf(obj), obj);
    for (const obj of this.list()) if (!listed.has(keyOf(obj))) this.remove(obj);
    for (const obj of list.items) this.put(obj);
    const seen = list.seen ?? list.items.length;
    this.opts.arrived?.('listed', list.items.length, seen - list.items.length);
    this.population = seen;
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.listsApplied++;
    this.firstListDone();
  }

  private onEvent(phase: string, selected: T | undefined, raw: KubernetesObject): void {
    switch (phase) {
      case 'ERROR':
        if ((raw as { code?: number }).code === 410) this.resourceVersion = '';
        return;
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const k = keyOf(raw);
        for (const p of this.pending) if (p.scope.covers(raw)) p.touched.add(k);
        if (phase === 'ADDED') this.population++;
        if (phase === 'DELETED') this.population = Math.max(0, this.population - 1);
        const kept = phase !== 'DELETED' ? selected : undefined;
        this.opts.arrived?.('event', kept ? 1 : 0, kept ? 0 : 1);
        if (kept) this.put(kept);
        else this.removeKey(k);
        break;
      }
    }
    this.reconnectDelayMs = 0;
    const rv = raw?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
  }

  private put(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let byName = this.objects.get(ns);
    if (!byName) this.objects.set(ns, (byName = new Map()));
    const before = byName.get(name);
    byName.set(name, obj);
    if (!before) this.emit('add', obj);
    else if (before.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj);
  }

  private removeKey(k: string): void {
    const slash = k.indexOf('/');
    const obj = this.objects.get(k.slice(0, slash))?.get(k.slice(slash + 1));
    if (obj) this.remove(obj);
  }

  private remove(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const byName = this.objects.get(ns);
    if (!byName?.delete(obj.metadata?.name ?? '')) return;
    if (byName.size === 0) this.objects.delete(ns);
    this.emit('delete', obj);
  }

  private emit(verb: Verb | 'error' | 'connect', x: unknown): void {
    for (const cb of this.callbacks[verb]) (cb as (x: unknown) => void)(x);
  }
}

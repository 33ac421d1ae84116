// A list+watch cache of one resource that keeps itself running.
//
// client-node 2.0.1's ListWatch (what makeInformer returns) handles 410 Gone by re-listing and a
// client-side watch timeout by reconnecting at once, but any other failure (connection refused
// while an API server restarts, 401/403, a failed list, a reset stream) fires 'error' and STOPS
// the informer for good. This wrapper restarts it after an exponential backoff until stop().
//
// It builds the ListWatch itself instead of calling makeInformer (which is exactly
// `new ListWatch(path, new Watch(kc), list, false, labelSelector)`) so that it can pass a field
// selector and hook the Watch: see HookedWatch below for the two behaviours it changes.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { log as rootLog, type Logger } from '../log.js';
import { describeError } from '../errors.js';
import { backoffDelay } from '../backoff.js';

interface WatchHandlers<T> {
  add?(obj: T): void;
  update?(obj: T): void;
  delete?(obj: T): void;
  /** A (re)connect attempt starts (client-node emits this before each list/watch request). */
  connect?(): void;
  /** The informer stopped on `err`; it is restarted in `retryInMs` unless stopped. */
  error?(err: unknown, retryInMs: number): void;
  /** The first list has been applied to the cache. */
  synced?(): void;
  /** The API server answered: a list succeeded, a watch stream opened, or a watch event arrived. */
  healthy?(): void;
}

export interface WatchTuning {
  /** First restart delay after an error (default 200 ms); doubles per consecutive error. */
  initialBackoffMs?: number;
  /** Restart delay cap (default 10 s). */
  maxBackoffMs?: number;
  /**
   * client-node's per-watch inactivity timeout (its default: 30 s). When it fires, client-node
   * reconnects at once from the last resourceVersion, so this is the longest a dead connection
   * can go unnoticed. Only tests change it.
   */
  idleTimeoutMs?: number;
  /**
   * A watch stream the server closed cleanly after living at least this long (default 1 s) is
   * reconnected at once instead of through client-node's backoff (see HookedWatch).
   */
  minStreamMs?: number;
}

export interface WatchOptions<T> extends WatchTuning {
  /** Used in log lines, e.g. "services". */
  name?: string;
  /**
   * Reduces each object as it arrives (list pages and watch events) to what the consumer needs,
   * so the cache never holds whole objects. The result must keep metadata.name, .namespace and
   * .resourceVersion: the cache keys and resumes by them.
   */
  transform?: (obj: KubernetesObject) => T;
  /** Objects per list page (limit/continue); default 500. */
  pageSize?: number;
  labelSelector?: string;
  fieldSelector?: string;
  logger?: Logger;
  on?: WatchHandlers<T>;
}

export interface ResourceWatch<T> {
  /** The first list has been applied; the cache is meaningful. Stays true across restarts. */
  readonly synced: boolean;
  /** False while waiting to restart after an error. */
  readonly running: boolean;
  /** The last error, described without secrets; cleared by the next success. */
  readonly lastError: string | undefined;
  list(): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  /** Skips the remaining backoff of a pending restart (e.g. the cluster answered a heartbeat). */
  restartNow(): void;
  stop(): Promise<void>;
}

/** One page of a list request; the informer passes limit and the continue token of the previous page. */
export interface ListPage {
  limit: number;
  _continue?: string;
}

/** Lists the collection (one page when given `page`; a list function may ignore it and return everything). */
export type ListFn<T extends KubernetesObject> = (page?: ListPage) => Promise<KubernetesListObject<T>>;

/**
 * What SelfRestartingWatch drives: client-node's ListWatch, or a cache of our own that keeps only
 * the objects it wants (filtered-list-watch.ts). start() resumes from the last resourceVersion.
 */
export interface ListWatchLike<T> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  list(): readonly T[];
  get(name: string, namespace?: string): T | undefined;
}

/**
 * A cache in place of ListWatch: `select` reduces each arriving object (list pages, watch events)
 * to what is kept, or undefined for an object not wanted, and `make` builds the cache over the
 * hooked Watch and the paged list.
 */
export interface CacheFactory<T extends KubernetesObject> {
  select(obj: KubernetesObject): T | undefined;
  make(watch: Watch, list: ListFn<T>, selectors: { labelSelector?: string; fieldSelector?: string }): ListWatchLike<T>;
}

/** A list answer as listInPages makes it: the objects kept, and how many the server sent. */
export type SelectedList<T extends KubernetesObject> = KubernetesListObject<T> & { seen: number };

/** The continue token of a list answer: `_continue` on client-node's typed lists, `continue` in raw JSON. */
function continueOf(list: KubernetesListObject<KubernetesObject>): string | undefined {
  const meta = list.metadata as { _continue?: unknown; continue?: unknown } | undefined;
  const token = meta?._continue ?? meta?.continue;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/**
 * Lists page by page and reduces each page as it arrives, so a large collection is never held
 * whole; an object the transform turns into undefined is not kept at all. The answer carries the
 * resourceVersion of the last page (all pages of one list share the snapshot of the first).
 */
async function listInPages<T extends KubernetesObject>(
  list: ListFn<KubernetesObject>,
  pageSize: number,
  transform: ((obj: KubernetesObject) => T | undefined) | undefined,
): Promise<SelectedList<T>> {
  const items: T[] = [];
  let seen = 0;
  let token: string | undefined;
  let last: KubernetesListObject<KubernetesObject>;
  do {
    last = await list({ limit: pageSize, ...(token ? { _continue: token } : {}) });
    seen += last.items.length;
    for (const o of last.items) {
      const kept = transform ? transform(o) : (o as T);
      if (kept !== undefined) items.push(kept);
    }
    token = continueOf(last);
  } while (token);
  return { ...last, metadata: { resourceVersion: last.metadata?.resourceVersion }, items, seen };
}

const DEFAULTS = { initialBackoffMs: 200, maxBackoffMs: 10_000, minStreamMs: 1_000, pageSize: 500 };

interface WatchHooks {
  isStopped(): boolean;
  /** Called when ListWatch starts a watch request (after any list it made has been applied). */
  beforeWatch(): void;
  /** The watch request was answered 200: the stream is open. */
  opened(): void;
  /** A line arrived on the stream (event or bookmark). */
  data(): void;
}

/** apiObj reduced by the transform (ADDED, MODIFIED, DELETED) or as it came; raw: the object as it came. */
type WatchCallback = (phase: string, apiObj: unknown, raw?: unknown) => void;
type DoneCallback = (err: unknown) => void;

/**
 * A client-node Watch with two changes, both about quiet watches:
 *
 * 1. It asks for bookmarks (allowWatchBookmarks=true). A bookmark is a line on the stream, so it
 *    resets client-node's inactivity timer and ListWatch's reconnect backoff, and it keeps the
 *    resourceVersion fresh so a resume after a long quiet spell does not hit 410 and re-list.
 * 2. A clean server-side close (done(null)) of a stream that lived at least minStreamMs is
 *    reported to ListWatch as a timeout. ListWatch handles a timeout by reconnecting at once;
 *    a clean close instead goes through its backoff (1 s doubling to 30 s) that only an event
 *    resets, so a server or proxy that ends idle streams would otherwise leave a quiet resource
 *    unwatched for up to 30 s at a time. Short-lived streams keep the backoff, which is what
 *    stops a tight loop against a server that closes every stream at once.
 */
class HookedWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly hooks: WatchHooks,
    private readonly minStreamMs: number,
    private readonly transform?: (obj: KubernetesObject) => unknown,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: WatchCallback,
    done: DoneCallback,
  ): Promise<AbortController> {
    if (this.hooks.isStopped()) {
      // ListWatch can reach here after stop() (stop during a list or a backoff sleep);
      // hand it a dead request instead of opening a watch nobody will close.
      const dead = new AbortController();
      dead.abort();
      return dead;
    }
    this.hooks.beforeWatch();
    const openedAt = Date.now();
    let finished = false;
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, obj) => {
        this.hooks.data();
        // Bookmarks and ERROR Status objects are not objects of the resource: passed as they are.
        const reduce = this.transform && (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED');
        callback(phase, reduce ? this.transform!(obj as KubernetesObject) : obj, obj);
      },
      (err: unknown) => {
        finished = true;
        if (err == null && !this.hooks.isStopped() && Date.now() - openedAt >= this.minStreamMs) {
          done(new DOMException('watch stream closed by the server', 'TimeoutError'));
        } else {
          done(err);
        }
      },
    );
    // super.watch returns once the response headers are in; if done was not called by then the
    // answer was 200 and the stream is open.
    if (!finished) this.hooks.opened();
    return controller;
  }
}

class SelfRestartingWatch<T extends KubernetesObject> implements ResourceWatch<T> {
  private readonly informer: ListWatchLike<T>;
  private readonly logger: Logger;
  private readonly handlers: WatchHandlers<T>;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  /** Failures since the watch was last healthy. */
  private failures = 0;
  private stopped = false;
  private isSynced = false;
  private listApplied = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private error: string | undefined;

  constructor(kc: KubeConfig, path: string, list: ListFn<T>, opts: WatchOptions<T>, cache?: CacheFactory<T>) {
    this.handlers = opts.on ?? {};
    this.logger = (opts.logger ?? rootLog).child({ resource: opts.name ?? path });
    this.initialBackoffMs = opts.initialBackoffMs ?? DEFAULTS.initialBackoffMs;
    this.maxBackoffMs = opts.maxBackoffMs ?? DEFAULTS.maxBackoffMs;

    const watch = new HookedWatch(
      kc,
      {
        isStopped: () => this.stopped,
        beforeWatch: () => this.onBeforeWatch(),
        opened: () => this.onHealthy(),
        data: () => this.onHealthy(),
      },
      opts.minStreamMs ?? DEFAULTS.minStreamMs,
      cache?.select ?? opts.transform,
    );
    if (opts.idleTimeoutMs !== undefined) setIdleTimeout(watch, opts.idleTimeoutMs, this.logger);

    const pageSize = opts.pageSize ?? DEFAULTS.pageSize;
    const listAndMark: ListFn<T> = async () => {
      const result = await listInPages<T>(list as ListFn<KubernetesObject>, pageSize, cache?.select ?? opts.transform);
      this.listApplied = true; // the cache applies the items before it next calls watch()
      this.onHealthy();
      return result;
    };
    const selectors = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
    this.informer = cache ? cache.make(watch, listAndMark, selectors) : new ListWatch<T>(path, watch, listAndMark, false, opts.labelSelector, opts.fieldSelector);
    this.informer.on('add', (obj) => this.deliver('add', obj));
    this.informer.on('update', (obj) => this.deliver('update', obj));
    this.informer.on('delete', (obj) => this.deliver('delete', obj));
    this.informer.on('connect', () => {
      if (!this.stopped) this.safely('connect', () => this.handlers.connect?.());
    });
    this.informer.on('error', (err: unknown) => this.onError(err));
    this.launch();
  }

  get synced(): boolean {
    return this.isSynced;
  }

  get running(): boolean {
    return !this.stopped && this.restartTimer === undefined;
  }

  get lastError(): string | undefined {
    return this.error;
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  restartNow(): void {
    if (this.stopped || this.restartTimer === undefined) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.launch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.informer.stop();
  }

  private launch(): void {
    // start() resumes from the last resourceVersion (client-node keeps it across an error);
    // a 410 on that resume makes it re-list. It rejects only if the request could not even be
    // built (e.g. an exec credential plugin failed): that is one more error to back off from.
    this.informer.start().catch((err: unknown) => this.onError(err));
  }

  private onBeforeWatch(): void {
    if (!this.listApplied) return;
    this.listApplied = false;
    if (!this.isSynced) {
      this.isSynced = true;
      this.safely('synced', () => this.handlers.synced?.());
    }
  }

  private onHealthy(): void {
    if (this.stopped) return;
    this.failures = 0;
    if (this.error !== undefined) {
      this.logger.info('watch recovered', { previousError: this.error });
      this.error = undefined;
    }
    this.safely('healthy', () => this.handlers.healthy?.());
  }

  private onError(err: unknown): void {
    // client-node also reports the abort caused by its own stop() as an error: ignore it.
    if (this.stopped || this.restartTimer !== undefined) return;
    const delay = backoffDelay(this.failures++, { baseMs: this.initialBackoffMs, maxMs: this.maxBackoffMs });
    this.error = describeError(err);
    this.logger.warn('watch failed, restarting', { reason: this.error, retryInMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.launch();
    }, delay);
    this.safely('error', () => this.handlers.error?.(err, delay));
  }

  private deliver(kind: 'add' | 'update' | 'delete', obj: T): void {
    if (this.stopped) return;
    this.safely(kind, () => this.handlers[kind]?.(obj));
  }

  /** A throwing handler must not break client-node's list/watch loop, which calls it inline. */
  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error('watch handler threw', { handler: what, reason: describeError(err) });
    }
  }
}

/**
 * client-node keeps the watch timeout in a field that is private to TypeScript only. Checked at
 * run time so that a client-node upgrade that renames it is logged instead of silently ignored.
 */
function setIdleTimeout(watch: Watch, ms: number, logger: Logger): void {
  const fields = watch as unknown as Record<string, unknown>;
  if (typeof fields['requestTimeoutMs'] === 'number') fields['requestTimeoutMs'] = ms;
  else logger.warn('cannot set the watch idle timeout: client-node has no requestTimeoutMs field');
}

/**
 * Lists `path` with `list`, then watches it, keeping an in-memory cache and calling `opts.on`
 * handlers; restarts itself after errors until stop(). Starts immediately.
 * `path` is the collection URL path, e.g. "/api/v1/services" or
 * "/apis/core.kubefed.io/v1beta1/namespaces/kube-federation-system/kubefedclusters".
 */
export function watchResource<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: ListFn<T>,
  opts: WatchOptions<T> = {},
  cache?: CacheFactory<T>,
): ResourceWatch<T> {
  return new SelfRestartingWatch<T>(kc, path, list, opts, cache);
}

// A tiny stand-in for kube-apiserver on 127.0.0.1 that speaks the list + watch protocol, so the
// adapters are tested through client-node's real HTTP stack (undici) against a server that
// keeps list + watch state, which nock interceptors cannot.
//
// What it implements: GET of any collection path (list, with a resourceVersion, a label
// selector and a metadata.name/namespace field selector; a namespaced path answers from the cluster-wide collection when it has none of its
// own), GET of one object by name (404 when absent), GET with
// watch=true (replays events after the given resourceVersion, then streams new ones, those the
// label selector matches; a
// resourceVersion older than the last compact() answers 410 Gone, as an HTTP status or as an
// ERROR event), /readyz, /livez, /healthz, /version, bearer-token checks, and failure switches.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

interface FakeMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}
export interface FakeObject {
  apiVersion?: string;
  kind?: string;
  metadata: FakeMeta;
  [key: string]: unknown;
}
type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface StoredEvent {
  rv: number;
  type: EventType;
  object: FakeObject;
}
export interface RequestRecord {
  path: string;
  watch: boolean;
  query: URLSearchParams;
  authorization: string | undefined;
  at: number;
}
interface OpenWatch {
  path: string;
  res: http.ServerResponse;
  selected: (o: FakeObject) => boolean;
}

export interface FakeApiServerOptions {
  /** When set, requests must carry "Authorization: Bearer <token>" or get 401. */
  token?: string;
  port?: number;
}

function key(obj: FakeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

export class FakeApiServer {
  readonly requests: RequestRecord[] = [];
  /** HTTP status of /readyz (and /livez, /healthz). */
  readyzStatus = 200;
  /** Delay before answering /readyz, to simulate a hanging API server. */
  readyzDelayMs = 0;
  /** How a watch from a compacted resourceVersion is refused: HTTP 410, or 200 + ERROR event. */
  goneMode: 'status' | 'event' = 'status';
  /** When set, every watch stream is closed cleanly this long after it opens, without events. */
  closeWatchesAfterMs: number | undefined;
  /** When set, answers every request to a path starting with this prefix with this status. */
  failPaths = new Map<string, number>();
  /**
   * Discovery: group → version → its resources (plural and kind). /apis lists these groups, and
   * /apis/<group>/<version> their resources; an unknown group or version answers 404.
   */
  apiGroups = new Map<string, Map<string, Array<{ name: string; kind: string }>>>();

  private rv = 100;
  private compactedRv = 0;
  private readonly collections = new Map<string, Map<string, FakeObject>>();
  private readonly history = new Map<string, StoredEvent[]>();
  private readonly watches = new Set<OpenWatch>();
  private server: http.Server;
  private _port = 0;

  private constructor(private readonly opts: FakeApiServerOptions) {
    this.server = this.makeServer();
  }

  static async start(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const s = new FakeApiServer(opts);
    await s.listen(opts.port ?? 0);
    return s;
  }

  get port(): number {
    return this._port;
  }
  get url(): string {
    return `http://127.0.0.1:${this._port}`;
  }
  get openWatchCount(): number {
    return this.watches.size;
  }

  /** A KubeConfig for this server (plain HTTP needs skipTLSVerify in client-node). */
  kubeConfig(token = this.opts.token ?? 'test-token', name = 'fake'): KubeConfig {
    return kubeConfigFor(this.url, token, name);
  }

  /** Adds or replaces an object in a collection (a list path), notifying watchers. */
  put(collection: string, obj: FakeObject): FakeObject {
    const items = this.collectionOf(collection);
    const stored: FakeObject = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    const type: EventType = items.has(key(stored)) ? 'MODIFIED' : 'ADDED';
    items.set(key(stored), stored);
    this.record(collection, type, stored);
    return stored;
  }

  remove(collection: string, name: string, namespace?: string): void {
    const items = this.collectionOf(collection);
    const k = `${namespace ?? ''}/${name}`;
    const existing = items.get(k);
    if (!existing) return;
    items.delete(k);
    const gone: FakeObject = structuredClone(existing);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record(collection, 'DELETED', gone);
  }

  /** Forgets all history: a watch from any resourceVersion seen so far now gets 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    for (const events of this.history.values()) events.length = 0;
  }

  /** Changes objects without telling open watches (as if the events happened while disconnected). */
  putSilently(collection: string, obj: FakeObject): void {
    const stored: FakeObject = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    this.collectionOf(collection).set(key(stored), stored);
  }

  removeSilently(collection: string, name: string, namespace?: string): void {
    this.collectionOf(collection).delete(`${namespace ?? ''}/${name}`);
    ++this.rv;
  }

  /** Ends every open watch stream cleanly (as kube-apiserver does at its request timeout). */
  closeWatches(): void {
    for (const w of this.watches) w.res.end();
    this.watches.clear();
  }

  lists(path: string): RequestRecord[] {
    return this.requests.filter((r) => r.path === path && !r.watch);
  }
  watchRequests(path: string): RequestRecord[] {
    return this.requests.filter((r) => r.path === path && r.watch);
  }

  /** Stops listening and cuts every connection: clients see connection refused / reset. */
  async stop(): Promise<void> {
    this.watches.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Listens again on the same port, with the same objects. */
  async restart(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this._port);
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this._port = (this.server.address() as AddressInfo).port;
  }

  private makeServer(): http.Server {
    return http.createServer((req, res) => this.handle(req, res));
  }

  private collectionOf(path: string): Map<string, FakeObject> {
    let items = this.collections.get(path);
    if (!items) {
      items = new Map();
      this.collections.set(path, items);
      this.history.set(path, []);
    }
    return items;
  }

  private record(collection: string, type: EventType, object: FakeObject): void {
    const event: StoredEvent = { rv: this.rv, type, object };
    this.history.get(collection)?.push(event);
    for (const w of this.watches) {
      if (w.path === collection && w.selected(object)) w.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message }));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const watch = url.searchParams.get('watch') === 'true';
    this.requests.push({
      path: url.pathname,
      watch,
      query: url.searchParams,
      authorization: req.headers.authorization,
      at: Date.now(),
    });
    if (this.opts.token !== undefined && req.headers.authorization !== `Bearer ${this.opts.token}`) {
      this.status(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    for (const [prefix, code] of this.failPaths) {
      if (url.pathname.startsWith(prefix)) {
        this.status(res, code, 'InternalError', `injected failure ${code}`);
        return;
      }
    }
    if (['/readyz', '/livez', '/healthz'].includes(url.pathname)) {
      setTimeout(() => {
        res.writeHead(this.readyzStatus, { 'content-type': 'text/plain' });
        res.end(this.readyzStatus === 200 ? 'ok' : 'not ready');
      }, this.readyzDelayMs);
      return;
    }
    if (url.pathname === '/apis' || (/^\/apis\/[^/]+\/[^/]+$/.test(url.pathname) && !watch && !this.collections.has(url.pathname))) {
      this.serveDiscovery(url.pathname, res);
      return;
    }
    if (url.pathname === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ major: '1', minor: '33', gitVersion: 'v1.33.0-fake' }));
      return;
    }
    if (watch) this.serveWatch(url, res);
    else this.serveList(url, res);
  }

  private serveDiscovery(path: string, res: http.ServerResponse): void {
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/apis') {
      const groups = [...this.apiGroups].map(([name, versions]) => {
        const list = [...versions.keys()].map((version) => ({ groupVersion: `${name}/${version}`, version }));
        return { name, versions: list, preferredVersion: list[0] };
      });
      return json({ kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const [, , group = '', version = ''] = path.split('/');
    const resources = this.apiGroups.get(group)?.get(version);
    if (!resources) return this.status(res, 404, 'NotFound', `the server could not find the requested resource (${path})`);
    json({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${group}/${version}`,
      resources: resources.map((r) => ({ name: r.name, singularName: r.kind.toLowerCase(), namespaced: true, kind: r.kind, verbs: ['get', 'list', 'watch'] })),
    });
  }

  /**
   * The objects a collection path answers with: its own collection, or, for a namespaced path
   * (`/api/v1/namespaces/shop/services`) that has none, the namespace's objects of the
   * cluster-wide collection (`/api/v1/services`) the tests fill.
   */
  private objectsAt(path: string): FakeObject[] {
    const own = this.collections.get(path);
    if (own) return [...own.values()];
    const m = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)$/.exec(path);
    const wide = m ? this.collections.get(`${m[1]}/${m[3]}`) : undefined;
    if (m && wide) return [...wide.values()].filter((o) => o.metadata.namespace === m[2]);
    return [...this.collectionOf(path).values()];
  }

  /** Lists; with ?limit= in pages, the continue token being the offset of the next page (as kube-apiserver's is opaque). */
  private serveList(url: URL, res: http.ServerResponse): void {
    const object = objectPath(url.pathname);
    if (object) {
      const found = this.objectsAt(object.collection).find((o) => (o.metadata.namespace ?? '') === object.namespace && o.metadata.name === object.name);
      if (!found) return this.status(res, 404, 'NotFound', `"${object.name}" not found`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(found));
      return;
    }
    const selected = matchesLabels(url.searchParams.get('labelSelector') ?? '');
    const fields = matchesFields(url.searchParams.get('fieldSelector') ?? '');
    const all = this.objectsAt(url.pathname)
      .filter((o) => selected(o) && fields(o))
      .sort((a, b) => key(a).localeCompare(key(b)));
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const from = Number(url.searchParams.get('continue') || '0');
    const items = limit > 0 ? all.slice(from, from + limit) : all;
    const next = limit > 0 && from + limit < all.length ? String(from + limit) : undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) }, items }));
  }

  private serveWatch(url: URL, res: http.ServerResponse): void {
    const path = url.pathname;
    this.collectionOf(path);
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    if (from > 0 && from < this.compactedRv) {
      const message = `too old resource version: ${from} (${this.compactedRv})`;
      if (this.goneMode === 'status') {
        this.status(res, 410, 'Expired', message);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        const object = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message };
        res.end(`${JSON.stringify({ type: 'ERROR', object })}\n`);
      }
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const selected = matchesLabels(url.searchParams.get('labelSelector') ?? '');
    const open: OpenWatch = { path, res, selected };
    this.watches.add(open);
    res.on('close', () => this.watches.delete(open));
    for (const e of this.history.get(path) ?? []) {
      if (e.rv > from && selected(e.object)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
    if (this.closeWatchesAfterMs !== undefined) {
      setTimeout(() => {
        this.watches.delete(open);
        res.end();
      }, this.closeWatchesAfterMs);
    }
  }
}

/**
 * The collection, namespace and name of a path that names one object (`.../secrets/x`,
 * `/api/v1/namespaces/x`); undefined for a collection or a subresource path.
 */
function objectPath(path: string): { collection: string; namespace: string; name: string } | undefined {
  const segments = path.split('/').filter(Boolean);
  const prefix = segments[0] === 'api' ? 2 : segments[0] === 'apis' ? 3 : -1;
  if (prefix < 0) return undefined;
  let rest = segments.slice(prefix);
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] ?? '';
    rest = rest.slice(2);
  }
  if (rest.length !== 2) return undefined;
  return { collection: `/${segments.slice(0, segments.length - 1).join('/')}`, namespace, name: rest[1] ?? '' };
}

/** A label selector's test: `k=v`, `k==v`, `k!=v` and `k in (a,b)` terms, all of which must hold. */
function matchesLabels(selector: string): (o: FakeObject) => boolean {
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  const tests = terms.map((raw) => {
    const t = raw.trim();
    const set = /^(\S+)\s+in\s+\(([^)]*)\)$/.exec(t);
    if (set) return (l: Record<string, string>) => set[2]!.split(',').map((v) => v.trim()).includes(l[set[1]!] ?? '\0');
    const ne = /^([^!=]+)!=(.*)$/.exec(t);
    if (ne) return (l: Record<string, string>) => l[ne[1]!] !== ne[2];
    const eq = /^([^=]+)==?(.*)$/.exec(t);
    if (eq) return (l: Record<string, string>) => l[eq[1]!] === eq[2];
    return (l: Record<string, string>) => t in l;
  });
  return (o) => tests.every((test) => test(o.metadata.labels ?? {}));
}

/** A field selector's test: `metadata.name=x` and `metadata.namespace=y` terms. */
function matchesFields(selector: string): (o: FakeObject) => boolean {
  const terms = selector.split(',').filter((t) => t !== '').map((t) => t.split('=') as [string, string]);
  return (o) => terms.every(([field, value]) => (field === 'metadata.name' ? o.metadata.name : field === 'metadata.namespace' ? (o.metadata.namespace ?? '') : undefined) === value);
}

/** A one-context KubeConfig pointing at `server` with a bearer token. */
export function kubeConfigFor(server: string, token: string, name = 'fake'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server, skipTLSVerify: true }],
    users: [{ name, token }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return kc;
}

/** A 127.0.0.1 port with nothing listening (bound, then released). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

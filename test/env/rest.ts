// A bare Kubernetes REST client for the benchmarks: raw JSON requests over one keep-alive TLS
// agent per API server, bounded concurrency, bounded retries, and a list+watch that re-watches at
// once from the last resourceVersion. It is the "bare client" a controller's API cost is compared
// with, and it writes tens of thousands of objects in the time kubectl would take for a few hundred.
import * as https from 'node:https';
import type { ApiServerHandle } from './apiserver.js';
import { sleep } from './process.js';

export interface RestResponse<T = unknown> {
  status: number;
  body: T;
}

class RestError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly text: string,
  ) {
    super(`${method} ${path}: HTTP ${status}: ${text.slice(0, 300)}`);
  }
}

export interface KubeRestOptions {
  /** Sockets kept open at most (default 64). */
  maxSockets?: number;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
}

/** Statuses worth another try: throttled, busy, or a server timeout. */
const RETRIABLE = new Set([429, 500, 502, 503, 504]);

export class KubeRest {
  readonly agent: https.Agent;
  private readonly timeoutMs: number;

  constructor(
    readonly server: Pick<ApiServerHandle, 'url' | 'token' | 'caPem' | 'name'>,
    opts: KubeRestOptions = {},
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64, ca: server.caPem });
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** One request; resolves with any HTTP status (the caller decides), rejects on network errors. */
  raw(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RestResponse<string>> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${this.server.url}${path}`,
        {
          method,
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            authorization: `Bearer ${this.server.token}`,
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * A request that must succeed (2xx, or one of `accept`): retried up to `tries` times on
   * throttling, server errors and network errors, with a short growing pause.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    opts: { contentType?: string; accept?: number[]; tries?: number } = {},
  ): Promise<RestResponse<T>> {
    const tries = opts.tries ?? 5;
    let last: Error | undefined;
    for (let attempt = 1; attempt <= tries; attempt++) {
      try {
        const res = await this.raw(method, path, body, opts.contentType);
        if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) {
          return { status: res.status, body: (res.body ? JSON.parse(res.body) : undefined) as T };
        }
        last = new RestError(method, path, res.status, res.body);
        if (!RETRIABLE.has(res.status)) throw last;
      } catch (e) {
        if (e instanceof RestError && !RETRIABLE.has(e.status)) throw e;
        last = e as Error;
      }
      await sleep(100 * attempt);
    }
    throw new Error(`${this.server.name}: gave up after ${tries} tries: ${last?.message}`);
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path).then((r) => r.body);
  }

  post<T = unknown>(path: string, body: unknown, accept?: number[]): Promise<RestResponse<T>> {
    return this.request<T>('POST', path, body, { accept });
  }

  put<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body).then((r) => r.body);
  }

  mergePatch<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body, { contentType: 'application/merge-patch+json' }).then((r) => r.body);
  }

  /**
   * Lists `path` (all pages) and then watches it from the list's resourceVersion until `signal`
   * aborts: each watch asks the server to end after `watchSeconds`, and is reopened at once from
   * the last resourceVersion seen (bookmarks included); a 410 Gone lists again. `onEvent` gets
   * the listed objects as ADDED first.
   */
  async listWatch<T extends KubeObject>(
    path: string,
    onEvent: (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T) => void,
    signal: AbortSignal,
    opts: { watchSeconds?: number; onError?: (e: Error) => void } = {},
  ): Promise<void> {
    const sep = path.includes('?') ? '&' : '?';
    let rv = '';
    const list = async () => {
      let cont = '';
      do {
        const page = await this.get<{ metadata: { resourceVersion: string; continue?: string }; items: T[] }>(
          `${path}${sep}limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
        );
        for (const item of page.items) onEvent('ADDED', item);
        rv = page.metadata.resourceVersion;
        cont = page.metadata.continue ?? '';
      } while (cont);
    };
    await list();
    void (async () => {
      while (!signal.aborted) {
        try {
          const gone = await this.watchOnce<T>(`${path}${sep}watch=1&allowWatchBookmarks=true&timeoutSeconds=${opts.watchSeconds ?? 300}&resourceVersion=${rv}`, signal, (type, obj) => {
            if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
            if (type !== 'BOOKMARK') onEvent(type, obj);
          });
          if (gone) await list();
        } catch (e) {
          if (signal.aborted) return;
          opts.onError?.(e as Error);
          await sleep(200);
        }
      }
    })();
  }

  /** One watch request; resolves true when the server said 410 Gone (list again). */
  private watchOnce<T extends KubeObject>(
    path: string,
    signal: AbortSignal,
    onEvent: (type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: T) => void,
  ): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const req = https.request(`${this.server.url}${path}`, {
        method: 'GET',
        agent: this.agent,
        signal,
        headers: { authorization: `Bearer ${this.server.token}`, accept: 'application/json' },
      });
      req.on('response', (res) => {
        if (res.statusCode === 410) {
          res.resume();
          resolve(true);
          return;
        }
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
          return;
        }
        let buf = '';
        let gone = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            let ev: { type: string; object: T & { code?: number } };
            try {
              ev = JSON.parse(line) as typeof ev;
            } catch (e) {
              req.destroy(e as Error);
              return;
            }
            if (ev.type === 'ERROR') {
              if (ev.object.code === 410) gone = true;
              continue;
            }
            onEvent(ev.type as 'ADDED', ev.object);
          }
        });
        res.on('end', () => resolve(gone));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; the first failure
 * stops new work and is thrown. `onProgress` is called every `every` completions.
 */
export async function bounded(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
  onProgress?: (done: number) => void,
  every = 1000,
): Promise<void> {
  let next = 0;
  let done = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failed ??= e;
        return;
      }
      done++;
      if (onProgress && done % every === 0) onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  if (failed !== undefined) throw failed;
}

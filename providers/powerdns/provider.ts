// PowerDNS Authoritative through its HTTP API (4.x): zones are listed, read whole, and each batch
// of changes is ONE `PATCH /zones/{id}` carrying every rrset (REPLACE or DELETE), which PowerDNS
// applies in one transaction: a batch is all in or all out.
//
// Names go to PowerDNS with the trailing dot, host-name contents too; TXT contents are in zone
// file presentation (quoted character-strings of at most 255 bytes). The API key travels in the
// X-API-Key header only: it is never put into a message or a log line.
//
// A zone is read as a stream: PowerDNS answers a zone of 10,000 names × 10 addresses with about
// 7 MB of JSON, and parsing it whole would hold the body, its text and its JSON tree at once
// (about 30 MiB, at every drift check). @streamparser/json hands over one rrset at a time.
import { JSONParser } from '@streamparser/json';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { Agent } from 'node:https';
import type { Readable } from 'node:stream';
import { ProviderError, kindForStatus, networkError, parseRetryAfter } from '../errors.js';
import { normaliseTarget } from '../../src/plan/names.js';
import { normaliseName } from '../../src/core/names.js';
import type { Change, DnsRecord } from '../../src/plan/records.js';
import type { ApplyHooks, Provider } from '../provider.js';

export interface PowerDnsOptions {
  /** API base URL, e.g. http://127.0.0.1:8081 (the value of ExternalDNS --pdns-server). */
  server: string;
  apiKey: string;
  /** Server id in API paths (default localhost). */
  serverId?: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /**
   * Largest PATCH body (default 1 MiB; PowerDNS refuses bodies over its webserver-max-bodysize,
   * 2 MB by default). A bigger batch goes as several PATCHes, in order.
   */
  maxPatchBytes?: number;
  /** For an https API: the CA that signs its certificate and/or a client certificate (PEM). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

interface PdnsZone {
  id: string;
  name: string;
}

interface PdnsRRset {
  name: string;
  type: string;
  ttl: number;
  records: Array<{ content: string; disabled: boolean }>;
}

/** Record types whose content is a host name (written with the trailing dot). */
const HOSTNAME_TYPES = new Set(['CNAME', 'NS', 'PTR', 'DNAME']);

export class PowerDnsProvider implements Provider {
  readonly name = 'powerdns';
  /** The HTTP client (exposed so tests can observe requests). */
  readonly http: AxiosInstance;
  private readonly zoneIds = new Map<string, string>();
  private readonly maxPatchBytes: number;

  constructor(opts: PowerDnsOptions) {
    this.maxPatchBytes = opts.maxPatchBytes ?? 1024 * 1024;
    const serverId = encodeURIComponent(opts.serverId ?? 'localhost');
    this.http = axios.create({
      baseURL: `${opts.server.replace(/\/+$/, '')}/api/v1/servers/${serverId}`,
      timeout: opts.timeoutMs ?? 10_000,
      headers: { 'X-API-Key': opts.apiKey, Accept: 'application/json' },
      // Every status is mapped below; axios' own errors would carry the request (and its key).
      validateStatus: () => true,
      maxRedirects: 0,
      ...(opts.tls ? { httpsAgent: new Agent({ ...opts.tls, keepAlive: true }) } : {}),
    });
  }

  async zones(): Promise<string[]> {
    const zones = await this.request<PdnsZone[]>('GET', '/zones');
    for (const z of zones) this.zoneIds.set(normaliseName(z.name), z.id);
    return zones.map((z) => normaliseName(z.name));
  }

  async records(zone: string): Promise<DnsRecord[]> {
    const path = this.zonePath(zone);
    const what = `PowerDNS GET ${path}`;
    const res = await this.send<Readable>({ method: 'GET', url: path, responseType: 'stream' }, what);
    if (kindForStatus(res.status) !== undefined) throw failure(res, await errorBody(res.data), what);
    const records: DnsRecord[] = [];
    const parser = new JSONParser({ paths: ['$.rrsets.*'], keepStack: false });
    parser.onValue = ({ value }) => void records.push(fromRRset(value as unknown as PdnsRRset));
    try {
      for await (const chunk of res.data) parser.write(chunk as Uint8Array);
    } catch (err) {
      throw networkError(err, what) ?? new ProviderError(`${what}: unreadable answer (${(err as Error).message.slice(0, 200)})`, 'unavailable');
    }
    // A body cut short parses without error so far; only the end of the document says it is whole.
    if (!parser.isEnded) throw new ProviderError(`${what}: the answer ended before the end of its JSON`, 'unavailable');
    return records;
  }

  async apply(zone: string, changes: Change[], hooks: ApplyHooks = {}): Promise<void> {
    if (changes.length === 0) return;
    const rrsets = changes.map((c) => {
      const base = { name: `${c.record.name}.`, type: c.record.type };
      if (c.action === 'delete') return { ...base, changetype: 'DELETE' };
      return {
        ...base,
        ttl: c.record.ttl,
        changetype: 'REPLACE',
        records: c.record.targets.map((t) => ({ content: toContent(c.record.type, t), disabled: false })),
      };
    });
    // One PATCH is one transaction at PowerDNS; only a batch bigger than a body may be goes as more.
    let chunk: unknown[] = [];
    let bytes = 0;
    for (const rrset of rrsets) {
      const size = JSON.stringify(rrset).length + 1;
      if (chunk.length > 0 && bytes + size > this.maxPatchBytes) {
        hooks.beforeWrite?.();
        await this.request('PATCH', this.zonePath(zone), { rrsets: chunk });
        chunk = [];
        bytes = 0;
      }
      chunk.push(rrset);
      bytes += size;
    }
    hooks.beforeWrite?.();
    await this.request('PATCH', this.zonePath(zone), { rrsets: chunk });
  }

  private zonePath(zone: string): string {
    const id = this.zoneIds.get(normaliseName(zone)) ?? `${normaliseName(zone)}.`;
    return `/zones/${encodeURIComponent(id)}`;
  }

  private async request<T>(method: 'GET' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const what = `PowerDNS ${method} ${path}`;
    const res = await this.send<unknown>({ method, url: path, ...(body !== undefined ? { data: body } : {}) }, what);
    if (kindForStatus(res.status) === undefined) return res.data as T;
    throw failure(res, res.data, what);
  }

  private async send<T>(config: Parameters<AxiosInstance['request']>[0], what: string): Promise<AxiosResponse<T>> {
    try {
      return await this.http.request<T>(config);
    } catch (err) {
      throw networkError(err, what) ?? new ProviderError(`${what}: ${(err as Error).message}`, 'unavailable');
    }
  }
}

/** The ProviderError for an answer with an error status; `data` is its body, parsed if JSON. */
function failure(res: AxiosResponse<unknown>, data: unknown, what: string): ProviderError {
  const retryAfterMs = parseRetryAfter(headerOf(res, 'retry-after'));
  return new ProviderError(`${what}: HTTP ${res.status}${apiError(data)}`, kindForStatus(res.status)!, {
    status: res.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** The body of a streamed error answer (its first 64 KiB), parsed if it is JSON. */
async function errorBody(stream: Readable): Promise<unknown> {
  let text = '';
  try {
    for await (const chunk of stream) {
      text += String(chunk);
      if (text.length > 65_536) break;
    }
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  } finally {
    stream.destroy();
  }
}

function headerOf(res: AxiosResponse<unknown>, name: string): string | undefined {
  const value: unknown = (res.headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** PowerDNS answers errors as {"error": "..."}; anything else is summarised, never echoed whole. */
function apiError(data: unknown): string {
  const error = (data as { error?: unknown } | null)?.error;
  if (typeof error === 'string') return `: ${error.slice(0, 300)}`;
  return '';
}

function fromRRset(rr: PdnsRRset): DnsRecord {
  const type = rr.type.toUpperCase();
  const enabled = rr.records.filter((r) => !r.disabled);
  return {
    name: normaliseName(rr.name),
    type,
    ttl: rr.ttl,
    targets: enabled.map((r) => fromContent(type, r.content)),
  };
}

/** Content as PowerDNS shows it → the provider-neutral target. */
function fromContent(type: string, content: string): string {
  if (type === 'TXT') return `"${txtData(content)}"`;
  return normaliseTarget(type, content);
}

/** Target → PowerDNS content. */
function toContent(type: string, target: string): string {
  if (HOSTNAME_TYPES.has(type)) return `${normaliseName(target)}.`;
  if (type === 'TXT') return txtContent(target);
  return target;
}

/**
 * The data of a TXT in presentation form: its quoted character-strings concatenated, escapes
 * (\" \\ \DDD) resolved. Unquoted content is taken as it is.
 */
function txtData(content: string): string {
  const trimmed = content.trim();
  if (!trimmed.startsWith('"')) return trimmed;
  let out = '';
  let i = 0;
  while (i < trimmed.length) {
    if (trimmed[i] !== '"') {
      i++;
      continue;
    }
    i++;
    while (i < trimmed.length && trimmed[i] !== '"') {
      if (trimmed[i] === '\\' && /^\d{3}$/.test(trimmed.slice(i + 1, i + 4))) {
        out += String.fromCharCode(Number(trimmed.slice(i + 1, i + 4)));
        i += 4;
      } else if (trimmed[i] === '\\' && i + 1 < trimmed.length) {
        out += trimmed[i + 1];
        i += 2;
      } else {
        out += trimmed[i];
        i++;
      }
    }
    i++;
  }
  return out;
}

/**
 * A TXT target → presentation content. ExternalDNS's targets carry their own surrounding quotes
 * (`"heritage=..."`); those are the presentation quotes, not data. Long data is split into
 * 255-byte character-strings (RFC 1035 §3.3.14), which read back as one target.
 */
function txtContent(target: string): string {
  const data = target.length >= 2 && target.startsWith('"') && target.endsWith('"') ? target.slice(1, -1) : target;
  const bytes = Buffer.from(data, 'utf8');
  const chunks: string[] = [];
  for (let i = 0; i < bytes.length || chunks.length === 0; i += 255) {
    chunks.push(bytes.subarray(i, i + 255).toString('utf8'));
  }
  return chunks.map((c) => `"${c.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(' ');
}

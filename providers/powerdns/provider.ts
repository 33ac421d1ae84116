// PowerDNS Authoritative through its HTTP API (4.x): zones are listed, read whole, and each batch
// of changes is ONE `PATCH /zones/{id}` carrying every rrset (REPLACE or DELETE), which PowerDNS
// applies in one transaction: a batch is all in or all out.
//
// Names go to PowerDNS with the trailing dot, host-name contents too; TXT contents are in zone
// file presentation (quoted character-strings of at most 255 bytes). The API key travels in the
// X-API-Key header only: it is never put into a message or a log line.
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { Agent } from 'node:https';
import { ProviderError, kindForStatus, networkError, parseRetryAfter } from '../errors.js';
import { normaliseName, normaliseTarget } from '../../src/plan/names.js';
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
    const data = await this.request<{ rrsets?: PdnsRRset[] }>('GET', this.zonePath(zone));
    return (data.rrsets ?? []).map(fromRRset);
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
    let res: AxiosResponse<unknown>;
    try {
      res = await this.http.request({ method, url: path, ...(body !== undefined ? { data: body } : {}) });
    } catch (err) {
      throw networkError(err, what) ?? new ProviderError(`${what}: ${(err as Error).message}`, 'unavailable');
    }
    const kind = kindForStatus(res.status);
    if (kind === undefined) return res.data as T;
    const retryAfterMs = parseRetryAfter(headerOf(res, 'retry-after'));
    throw new ProviderError(`${what}: HTTP ${res.status}${apiError(res.data)}`, kind, {
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
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
export function fromContent(type: string, content: string): string {
  if (type === 'TXT') return `"${txtData(content)}"`;
  return normaliseTarget(type, content);
}

/** Target → PowerDNS content. */
export function toContent(type: string, target: string): string {
  if (HOSTNAME_TYPES.has(type)) return `${normaliseName(target)}.`;
  if (type === 'TXT') return txtContent(target);
  return target;
}

/**
 * The data of a TXT in presentation form: its quoted character-strings concatenated, escapes
 * (\" \\ \DDD) resolved. Unquoted content is taken as it is.
 */
export function txtData(content: string): string {
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
export function txtContent(target: string): string {
  const data = target.length >= 2 && target.startsWith('"') && target.endsWith('"') ? target.slice(1, -1) : target;
  const bytes = Buffer.from(data, 'utf8');
  const chunks: string[] = [];
  for (let i = 0; i < bytes.length || chunks.length === 0; i += 255) {
    chunks.push(bytes.subarray(i, i + 255).toString('utf8'));
  }
  return chunks.map((c) => `"${c.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(' ');
}

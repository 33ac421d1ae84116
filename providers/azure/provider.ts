// Azure DNS through the official ARM SDK (@azure/arm-dns). Record sets live under
// /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/dnsZones/{zone}/{type}/{relative name},
// the apex being `@`. Azure has no batch call: a batch is applied record set by record set, up to
// `concurrency` calls at a time within each step of the planner's order (ownership TXTs written,
// records deleted, records written, TXTs deleted: each step waits for the one before, so a record
// never stands without its TXT), with etags: If-Match on update and delete, If-None-Match: * on create, so a record set someone
// changed after our read is never overwritten (412 → 'conflict' → the sink re-reads).
//
// The SDK's own retries are switched off. A throttled call (429) waits the Retry-After Azure
// gives — and so do the calls next to it — then goes again; any other failure stops the batch and
// the sink retries it after a fresh read, so a retry never replays a stale etag. Limits (per record set 20 records, TXT 400) are
// exposed through maxTargets and reported by the planner before any request.
import type { DnsManagementClient, RecordSet, RecordType } from '@azure/arm-dns';
import { sdk } from '../sdk.js';
import type { TokenCredential } from '@azure/identity';
import { ProviderError, kindForStatus, networkError, parseRetryAfter } from '../errors.js';
import { normaliseTarget } from '../../src/plan/names.js';
import { normaliseName } from '../../src/core/names.js';
import type { Change, DnsRecord } from '../../src/plan/records.js';
import type { ApplyHooks, Provider } from '../provider.js';

const AZURE_PUBLIC_CLOUD = 'https://management.azure.com';

export interface AzureDnsOptions {
  subscriptionId: string;
  resourceGroup: string;
  credential: TokenCredential;
  /** ARM endpoint (default the public cloud); sovereign clouds and tests set their own. */
  endpoint?: string;
  /** Only these zones of the resource group (default: every zone in it). */
  zones?: string[];
  /** Per-request timeout (default 20 s). */
  timeoutMs?: number;
  /** Calls in flight at most within a batch (default 8). */
  concurrency?: number;
  /** Longest Retry-After waited for within a batch, and how often (defaults 60 s, 5 times). */
  maxThrottleWaitMs?: number;
  maxThrottleRetries?: number;
  /** Replaces setTimeout-based sleeping (tests). */
  sleep?: (ms: number) => Promise<void>;
}

/** Azure's per-record-set limits (https://learn.microsoft.com/azure/dns/dns-zones-records#limits). */
function azureMaxTargets(type: string): number | undefined {
  if (type === 'CNAME' || type === 'SOA') return 1;
  if (type === 'TXT') return 400;
  return 20;
}

const WRITABLE: ReadonlySet<string> = new Set(['A', 'AAAA', 'CNAME', 'TXT']);

export class AzureDnsProvider implements Provider {
  readonly name = 'azure';
  private readonly client: DnsManagementClient;
  private readonly opts: AzureDnsOptions;
  /** While set, no call goes out: Azure asked to wait (429 Retry-After). */
  private pause: Promise<void> | undefined;

  constructor(opts: AzureDnsOptions) {
    this.opts = opts;
    const endpoint = (opts.endpoint ?? AZURE_PUBLIC_CLOUD).replace(/\/+$/, '');
    this.client = new (sdk<typeof import('@azure/arm-dns')>('@azure/arm-dns').DnsManagementClient)(opts.credential, opts.subscriptionId, {
      endpoint,
      credentialScopes: [`${endpoint}/.default`],
      retryOptions: { maxRetries: 0 },
    });
  }

  maxTargets(type: string): number | undefined {
    return azureMaxTargets(type);
  }

  async zones(): Promise<string[]> {
    if (this.opts.zones && this.opts.zones.length > 0) return this.opts.zones.map(normaliseName);
    const zones: string[] = [];
    await this.call('list zones', async () => {
      for await (const z of this.client.zones.listByResourceGroup(this.opts.resourceGroup, this.options())) {
        if (z.name) zones.push(normaliseName(z.name));
      }
    });
    return zones;
  }

  async records(zone: string): Promise<DnsRecord[]> {
    const z = normaliseName(zone);
    const records: DnsRecord[] = [];
    await this.call(`list record sets of ${z}`, async () => {
      for await (const rs of this.client.recordSets.listAllByDnsZone(this.opts.resourceGroup, z, this.options())) {
        const record = fromRecordSet(z, rs);
        if (record) records.push(record);
      }
    });
    return records;
  }

  async apply(zone: string, changes: Change[], hooks: ApplyHooks = {}): Promise<void> {
    const z = normaliseName(zone);
    for (const c of changes) {
      if (!WRITABLE.has(c.record.type)) throw new ProviderError(`azure: ${c.action} ${c.record.type} ${c.record.name}: mcdns does not write ${c.record.type} record sets`, 'rejected');
    }
    // Steps: runs of changes with the same action kind and TXT-ness, in order; a step's calls
    // run side by side, the next step starts when it is done.
    const steps: Change[][] = [];
    let key = '';
    for (const c of changes) {
      const k = `${c.action === 'delete'}/${c.record.type === 'TXT'}`;
      if (k !== key || steps.length === 0) steps.push([]);
      key = k;
      steps[steps.length - 1]!.push(c);
    }
    let done = 0;
    for (const step of steps) {
      await this.inParallel(step, async (change) => {
        const what = `${change.action} ${change.record.type} ${change.record.name} (${++done} of ${changes.length})`;
        await this.throttled(what, () => this.write(z, change), hooks);
      });
    }
  }

  private async write(zone: string, change: Change): Promise<void> {
    const { record } = change;
    const relative = relativeName(record.name, zone);
    const type = record.type as RecordType;
    const etag = change.previous?.meta?.['etag'];
    if (change.action === 'delete') {
      await this.client.recordSets.delete(this.opts.resourceGroup, zone, relative, type, { ...this.options(), ...(etag ? { ifMatch: etag } : {}) });
    } else {
      const match = change.action === 'create' ? { ifNoneMatch: '*' } : etag ? { ifMatch: etag } : {};
      await this.client.recordSets.createOrUpdate(this.opts.resourceGroup, zone, relative, type, toRecordSet(record), { ...this.options(), ...match });
    }
  }

  /** Runs `fn` on every item, `concurrency` at a time; the first failure stops new calls and is thrown. */
  private async inParallel<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      while (!failure && next < items.length) {
        const item = items[next++] as T;
        try {
          await fn(item);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 8, items.length) }, worker));
    if (failure) throw failure.error;
  }

  /**
   * One call, waiting out throttling: a 429 pauses every call of this provider until its
   * Retry-After has passed (Azure counts per zone and subscription), then the call goes again.
   */
  private async throttled(what: string, fn: () => Promise<void>, hooks: ApplyHooks): Promise<void> {
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let attempt = 0; ; attempt++) {
      while (this.pause) await this.pause;
      hooks.beforeWrite?.(); // outside call(): a refusal passes through unchanged
      try {
        await this.call(what, fn);
        return;
      } catch (err) {
        const pe = err instanceof ProviderError ? err : undefined;
        const after = pe?.retryAfterMs ?? 1000 * 2 ** attempt;
        if (pe?.kind !== 'throttled' || attempt >= (this.opts.maxThrottleRetries ?? 5) || after > (this.opts.maxThrottleWaitMs ?? 60_000)) throw err;
        this.pause ??= sleep(after).finally(() => (this.pause = undefined));
      }
    }
  }

  private options() {
    return { requestOptions: { timeout: this.opts.timeoutMs ?? 20_000 } };
  }

  /** Runs one SDK call, turning its failures into ProviderErrors without headers or tokens. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw azureError(err, `azure: ${what}`);
    }
  }
}

/** "www" for www.example.org in example.org, "@" for the apex. */
function relativeName(name: string, zone: string): string {
  const n = normaliseName(name);
  if (n === zone) return '@';
  if (!n.endsWith(`.${zone}`)) throw new ProviderError(`azure: ${n} is not in zone ${zone}`, 'rejected');
  return n.slice(0, -(zone.length + 1));
}

/** A record set as ARM lists it → DnsRecord (undefined for what has no type). */
function fromRecordSet(zone: string, rs: RecordSet): DnsRecord | undefined {
  const type = rs.type?.split('/').pop()?.toUpperCase();
  if (!type || !rs.name) return undefined;
  const name = rs.name === '@' ? zone : `${normaliseName(rs.name)}.${zone}`;
  const targets: string[] = [];
  switch (type) {
    case 'A':
      for (const r of rs.aRecords ?? []) if (r.ipv4Address) targets.push(r.ipv4Address);
      break;
    case 'AAAA':
      for (const r of rs.aaaaRecords ?? []) if (r.ipv6Address) targets.push(normaliseTarget('AAAA', r.ipv6Address));
      break;
    case 'CNAME':
      if (rs.cnameRecord?.cname) targets.push(normaliseTarget('CNAME', rs.cnameRecord.cname));
      break;
    case 'TXT':
      for (const r of rs.txtRecords ?? []) targets.push((r.value ?? []).join(''));
      break;
    case 'NS':
      for (const r of rs.nsRecords ?? []) if (r.nsdname) targets.push(normaliseTarget('NS', r.nsdname));
      break;
    case 'MX':
      for (const r of rs.mxRecords ?? []) targets.push(`${r.preference ?? 0} ${normaliseName(r.exchange ?? '')}`);
      break;
    case 'PTR':
      for (const r of rs.ptrRecords ?? []) if (r.ptrdname) targets.push(normaliseTarget('PTR', r.ptrdname));
      break;
    case 'SRV':
      for (const r of rs.srvRecords ?? []) targets.push(`${r.priority ?? 0} ${r.weight ?? 0} ${r.port ?? 0} ${normaliseName(r.target ?? '')}`);
      break;
    case 'CAA':
      for (const r of rs.caaRecords ?? []) targets.push(`${r.flags ?? 0} ${r.tag ?? ''} "${r.value ?? ''}"`);
      break;
    case 'SOA':
      if (rs.soaRecord) targets.push(`${rs.soaRecord.host ?? ''} ${rs.soaRecord.email ?? ''} ${rs.soaRecord.serialNumber ?? 0}`);
      break;
  }
  // An alias record set (targetResource) has no records of its own; it is still a record set at
  // that name, so it shows up (and blocks) with an "alias:" target.
  if (targets.length === 0 && rs.targetResource?.id) targets.push(`alias:${rs.targetResource.id}`);
  return { name, type, ttl: rs.ttl ?? 0, targets, ...(rs.etag ? { meta: { etag: rs.etag } } : {}) };
}

/** DnsRecord → the record set body (ExternalDNS writes TXT targets, quotes included, as the value). */
function toRecordSet(record: DnsRecord): RecordSet {
  const base: RecordSet = { ttl: record.ttl };
  switch (record.type) {
    case 'A':
      return { ...base, aRecords: record.targets.map((ipv4Address) => ({ ipv4Address })) };
    case 'AAAA':
      return { ...base, aaaaRecords: record.targets.map((ipv6Address) => ({ ipv6Address })) };
    case 'CNAME':
      return { ...base, cnameRecord: { cname: record.targets[0] ?? '' } };
    case 'TXT':
      return { ...base, txtRecords: record.targets.map((t) => ({ value: chunks(t, 255) })) };
    default:
      throw new ProviderError(`azure: cannot write ${record.type} record sets`, 'rejected');
  }
}

/** A TXT value longer than one DNS character-string goes as several strings of the same record. */
function chunks(value: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += size) out.push(value.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

/** SDK error → ProviderError: the ARM error code and status, never the request (it holds the token). */
function azureError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as RestErrorLike;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined) {
    if ((err as { name?: string } | null)?.name === 'AbortError') return new ProviderError(`${what}: timed out`, 'timeout');
    return networkError(err, what) ?? new ProviderError(`${what}: ${firstLine(e.message)}`, 'unavailable');
  }
  const retryAfterMs = parseRetryAfter(e.response?.headers?.get('retry-after'));
  const code = e.code && e.code !== 'REQUEST_SEND_ERROR' ? ` ${e.code}` : '';
  return new ProviderError(`${what}: HTTP ${status}${code}: ${firstLine(e.message)}`, kindForStatus(status) ?? 'rejected', {
    status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

function firstLine(message: string | undefined): string {
  return (message ?? 'unknown error').split('\n')[0]!.slice(0, 300);
}

// CoreDNS with the etcd plugin: record sets stored in etcd v3 in the SkyDNS layout (skydns.ts),
// through the maintained `etcd3` client (gRPC).
//
// etcd has no zones: the zones are the ones the Corefile serves, given in the configuration.
// A batch for a zone is as few etcd transactions as etcd's --max-txn-ops (128 by default) allows,
// taken in the order of the changes (ownership TXTs first, their deletion last), so a batch that
// stops between two transactions never leaves a record without its TXT. For each transaction
// every key of every changed name is re-read, the new key set is computed (obsolete keys
// deleted — the stale keys of ExternalDNS #808 cannot happen — TXT keys included, unlike
// ExternalDNS #6747), and the transaction commits only if none of those keys changed since that
// read (mod revisions compared), otherwise it fails as a retryable 'conflict' and the sink
// re-plans.
import type { Etcd3, IOptions, IKeyValue, Namespace } from 'etcd3';
import { sdk } from '../sdk.js';
import { ProviderError, type ProviderErrorKind } from '../errors.js';
import { isInZone, normaliseTarget, normaliseTargets, zoneFor } from '../../src/plan/names.js';
import { normaliseName } from '../../src/core/names.js';
import type { Change, DnsRecord } from '../../src/plan/records.js';
import type { ApplyHooks, Provider } from '../provider.js';
import {
  carries,
  entryId,
  hostType,
  keyForName,
  nameForKey,
  normalisePrefix,
  parseValue,
  without,
  type SkyDnsEntry,
  type SkyDnsValue,
} from './skydns.js';

export interface CoreDnsEtcdOptions {
  /** etcd client URLs, e.g. ['http://127.0.0.1:2379']. */
  endpoints: string[];
  /** Zones the Corefile serves from etcd (required: etcd has no notion of zones). */
  zones: string[];
  /** The etcd plugin's `path` (default /skydns). */
  prefix?: string;
  username?: string;
  password?: string;
  /** PEM contents for https:// endpoints. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** Deadline of each etcd call (default 10 s). */
  timeoutMs?: number;
  /** Most compares, and most operations, per transaction (etcd's --max-txn-ops, default 128). */
  maxTxnOps?: number;
}

export class CoreDnsEtcdProvider implements Provider {
  readonly name = 'coredns-etcd';
  // The etcd plugin answers a query with every key under the name's path (SkyDNS layout).
  readonly answersSubtree = true;
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly zoneList: string[];
  private readonly maxTxnOps: number;

  constructor(opts: CoreDnsEtcdOptions) {
    if (opts.zones.length === 0) throw new Error('coredns-etcd: no zones configured (the zones your Corefile serves from etcd)');
    this.prefix = normalisePrefix(opts.prefix ?? '/skydns');
    this.zoneList = [...new Set(opts.zones.map(normaliseName))].sort();
    this.maxTxnOps = opts.maxTxnOps ?? 128;
    const timeout = opts.timeoutMs ?? 10_000;
    const options: IOptions = {
      hosts: opts.endpoints,
      dialTimeout: timeout,
      defaultCallOptions: () => ({ deadline: Date.now() + timeout }),
      ...(opts.username ? { auth: { username: opts.username, password: opts.password ?? '' } } : {}),
      ...(opts.tls
        ? { credentials: { rootCertificate: opts.tls.ca, ...(opts.tls.key ? { privateKey: opts.tls.key } : {}), ...(opts.tls.cert ? { certChain: opts.tls.cert } : {}) } }
        : {}),
    };
    this.client = new (sdk<typeof import('etcd3')>('etcd3').Etcd3)(options);
  }

  async zones(): Promise<string[]> {
    return [...this.zoneList];
  }

  async records(zone: string): Promise<DnsRecord[]> {
    const z = normaliseName(zone);
    const entries = await this.read(keyForName(this.prefix, z), (name) => isInZone(name, z) && zoneFor(name, this.zoneList) === z);
    return toRecords(entries);
  }

  async apply(zone: string, changes: Change[], hooks: ApplyHooks = {}): Promise<void> {
    let group: Change[] = [];
    let estimate = 0;
    for (const c of changes) {
      // Keys a change compares and writes: its old and new targets (the exact count is checked at commit).
      const weight = c.record.targets.length + (c.previous?.targets.length ?? 0) + 1;
      if (group.length > 0 && estimate + weight > this.maxTxnOps) {
        await this.commit(zone, group, hooks);
        group = [];
        estimate = 0;
      }
      group.push(c);
      estimate += weight;
    }
    if (group.length > 0) await this.commit(zone, group, hooks);
  }

  async close(): Promise<void> {
    this.client.close();
  }

  /** Reads, computes and commits some changes in one transaction (in halves when over the op limit). */
  private async commit(zone: string, changes: Change[], hooks: ApplyHooks): Promise<void> {
    const byName = new Map<string, Change[]>();
    for (const c of changes) byName.set(c.record.name, [...(byName.get(c.record.name) ?? []), c]);
    const names = [...byName.keys()];
    const before = new Map<string, SkyDnsEntry>();
    const nameOf = new Map<string, string>();
    const read = await Promise.all(names.map(async (name) => ({ name, entries: await this.read(keyForName(this.prefix, name), (n) => n === name) })));
    for (const { name, entries } of read) {
      for (const e of entries) {
        before.set(e.key, e);
        nameOf.set(e.key, name);
      }
    }
    // The sink planned from what it last read of the zone: if a record set is not what the change
    // says it was (someone wrote at that name since), nothing is written — a 'conflict' makes the
    // sink read the zone again and plan anew, so another writer's keys are never replaced blindly.
    for (const c of changes) {
      const now = toRecords([...before.values()].filter((e) => e.name === c.record.name)).find((r) => r.type === c.record.type);
      const was = c.action === 'create' ? undefined : c.previous;
      if (!sameTargets(now, was)) {
        throw new ProviderError(`coredns-etcd: ${c.record.type} ${c.record.name} changed since the zone was read; re-read needed`, 'conflict');
      }
    }
    const after = new Map<string, SkyDnsValue>([...before].map(([k, e]) => [k, e.value]));
    for (const name of names) {
      for (const change of byName.get(name) ?? []) {
        const { type } = change.record;
        // Drop every aspect of this type at the name, whoever wrote the key: the obsolete keys go.
        for (const [key, value] of after) {
          if (nameOf.get(key) !== name || !carries(value, type)) continue;
          const rest = without(value, type);
          if (rest) after.set(key, rest);
          else after.delete(key);
        }
        if (change.action === 'delete') continue;
        for (const target of change.record.targets) {
          const key = `${keyForName(this.prefix, name)}/${entryId(type, target)}`;
          const aspect: SkyDnsValue = type === 'TXT' ? { text: target } : { host: normaliseTarget(type, target) };
          if (type !== 'TXT' && hostType(aspect.host ?? '') !== type) {
            throw new ProviderError(`coredns-etcd: ${type} target ${target} of ${name} is not a ${type} (CoreDNS infers the type from the host)`, 'rejected');
          }
          nameOf.set(key, name);
          after.set(key, { ...(after.get(key) ?? {}), ...aspect, ttl: change.record.ttl, targetstrip: 1 });
        }
      }
    }
    // Commit only if no key we read changed and no key we create appeared in the meantime.
    const compares: Array<[string, 'Mod' | 'Create', string | number]> = [];
    const ops: Array<{ put: string; value: string } | { del: string }> = [];
    for (const [key, entry] of before) {
      compares.push([key, 'Mod', entry.modRevision]);
      if (!after.has(key)) ops.push({ del: key });
    }
    for (const [key, value] of after) {
      const old = before.get(key);
      if (old && JSON.stringify(old.value) === JSON.stringify(value)) continue;
      if (!old) compares.push([key, 'Create', 0]);
      ops.push({ put: key, value: JSON.stringify(value) });
    }
    const [first, ...rest] = compares;
    if (ops.length === 0 || !first) return;
    if ((compares.length > this.maxTxnOps || ops.length > this.maxTxnOps) && changes.length > 1) {
      const half = Math.ceil(changes.length / 2);
      await this.commit(zone, changes.slice(0, half), hooks);
      await this.commit(zone, changes.slice(half), hooks);
      return;
    }
    const txn = this.client.if(first[0], first[1], '==', first[2]);
    for (const [key, column, value] of rest) txn.and(key, column, '==', value);
    txn.then(...ops.map((op) => ('del' in op ? this.client.delete().key(op.del) : this.client.put(op.put).value(op.value))));
    hooks.beforeWrite?.();
    let succeeded: boolean;
    try {
      succeeded = (await txn.commit()).succeeded;
    } catch (err) {
      throw etcdError(err, `coredns-etcd: write ${names.length} names of ${zone}`);
    }
    if (!succeeded) {
      throw new ProviderError(`coredns-etcd: keys of ${names.join(', ')} changed while writing; re-read needed`, 'conflict');
    }
  }

  /** Entries under `base` (the key itself and below) whose name passes `keep`. */
  private async read(base: string, keep: (name: string) => boolean): Promise<SkyDnsEntry[]> {
    let kvs: IKeyValue[];
    try {
      kvs = (await this.client.getAll().prefix(base).exec()).kvs;
    } catch (err) {
      throw etcdError(err, `coredns-etcd: read ${base}`);
    }
    const entries: SkyDnsEntry[] = [];
    for (const kv of kvs) {
      const key = kv.key.toString('utf8');
      if (key !== base && !key.startsWith(`${base}/`)) continue; // /skydns/org/example2 is not under /skydns/org/example
      const value = parseValue(kv.value.toString('utf8'));
      if (!value) continue; // not a SkyDNS entry: not ours, never touched
      const name = nameForKey(this.prefix, key, typeof value.targetstrip === 'number' ? value.targetstrip : 0);
      if (name === undefined || !keep(name)) continue;
      entries.push({ key, name, value, modRevision: kv.mod_revision });
    }
    return entries;
  }

  /** For tests and tools: the etcd namespace of the SkyDNS tree. */
  namespace(): Namespace {
    return this.client.namespace(this.prefix);
  }
}

function sameTargets(a: DnsRecord | undefined, b: DnsRecord | undefined): boolean {
  const ta = a ? normaliseTargets(a.type, a.targets) : [];
  const tb = b ? normaliseTargets(b.type, b.targets) : [];
  return ta.length === tb.length && ta.every((t, i) => t === tb[i]);
}

/** Entries → record sets: hosts grouped by name and inferred type, texts as TXT. */
export function toRecords(entries: SkyDnsEntry[]): DnsRecord[] {
  const sets = new Map<string, DnsRecord>();
  const add = (name: string, type: string, target: string, ttl: number | undefined): void => {
    const key = `${name} ${type}`;
    const set = sets.get(key) ?? { name, type, ttl: ttl ?? 0, targets: [] };
    set.targets.push(type === 'TXT' ? target : normaliseTarget(type, target));
    if (ttl !== undefined && (set.ttl === 0 || ttl < set.ttl)) set.ttl = ttl;
    sets.set(key, set);
  };
  for (const e of entries) {
    const ttl = typeof e.value.ttl === 'number' ? e.value.ttl : undefined;
    if (typeof e.value.host === 'string' && e.value.host !== '') add(e.name, hostType(e.value.host), e.value.host, ttl);
    if (typeof e.value.text === 'string' && e.value.text !== '') add(e.name, 'TXT', e.value.text, ttl);
  }
  return [...sets.values()];
}

function etcdError(err: unknown, what: string): ProviderError {
  const name = (err as { name?: unknown; constructor?: { name?: string } } | null)?.constructor?.name ?? '';
  // BrokenCircuitError: etcd3's own circuit breaker (cockatiel) refuses calls to a host that kept failing.
  const kind: ProviderErrorKind = /Unavailable|ConnectFailed|Internal|Aborted|Cancelled|Unknown|BrokenCircuit/.test(name)
    ? 'unavailable'
    : /DeadlineExceeded/.test(name)
      ? 'timeout'
      : /Authentication|Unauthenticated|PermissionDenied|InvalidAuthToken/.test(name)
        ? 'auth'
        : /ResourceExhausted|ResourceExhasted/.test(name)
          ? 'throttled'
          : 'rejected';
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new ProviderError(`${what}: ${name ? `${name}: ` : ''}${message}`, kind);
}

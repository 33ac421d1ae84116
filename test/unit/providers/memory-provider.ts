// An in-memory Provider for the sink's specs: record sets per zone, changes applied one by one
// (like Azure, not atomically), scripted faults per operation, and names it refuses the way
// PowerDNS refuses a PATCH (422, the whole batch, nothing applied).
import { ProviderError } from '../../../providers/errors.js';
import { recordKey, type Change, type DnsRecord } from '../../../src/plan/records.js';
import type { ApplyHooks, Provider } from '../../../providers/provider.js';

type Op = 'zones' | 'records' | 'apply';
export type Fault = ProviderError | Error | { afterChanges: number; error: ProviderError | Error };

export class MemoryProvider implements Provider {
  readonly name = 'memory';
  readonly data = new Map<string, Map<string, DnsRecord>>();
  readonly calls: string[] = [];
  private readonly faults: Record<Op, Fault[]> = { zones: [], records: [], apply: [] };
  private readonly refused = new Set<string>();
  private readonly holds: Record<Op, Array<{ reached: () => void; released: Promise<void> }>> = { zones: [], records: [], apply: [] };
  /** Changes per apply call, in order. */
  readonly batches: number[] = [];

  constructor(zones: string[], private readonly limit?: number) {
    for (const z of zones) this.data.set(z, new Map());
  }

  /** The next calls of `op` fail, one fault per call. */
  fail(op: Op, ...faults: Fault[]): void {
    this.faults[op].push(...faults);
  }

  /**
   * The next call of `op` is held until release(): a read answers what the zone held when it was
   * called (as a server reads before it answers), a write lands when released. `reached`
   * resolves once the call is being held.
   */
  hold(op: Op): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const isReached = new Promise<void>((r) => (reached = r));
    this.holds[op].push({ reached, released: new Promise<void>((r) => (release = r)) });
    return { reached: isReached, release };
  }

  /** Every batch holding a change at one of these names fails whole, as PowerDNS answers 422. */
  refuse(...names: string[]): void {
    for (const n of names) this.refused.add(n);
  }

  seed(zone: string, ...records: DnsRecord[]): void {
    for (const r of records) this.zone(zone).set(recordKey(r.name, r.type), r);
  }

  /** Someone else deletes a record set at the provider. */
  remove(zone: string, name: string, type: string): void {
    this.zone(zone).delete(recordKey(name, type));
  }

  list(zone: string): string[] {
    return [...this.zone(zone).values()].map((r) => `${r.type} ${r.name} ${r.targets.join(',')}`).sort();
  }

  async zones(): Promise<string[]> {
    this.calls.push('zones');
    this.maybeFail('zones');
    return [...this.data.keys()];
  }

  async records(zone: string): Promise<DnsRecord[]> {
    this.calls.push(`records ${zone}`);
    this.maybeFail('records');
    const answer = [...this.zone(zone).values()].map((r) => ({ ...r, targets: [...r.targets] }));
    await this.held('records');
    return answer;
  }

  async apply(zone: string, changes: Change[], hooks: ApplyHooks = {}): Promise<void> {
    hooks.beforeWrite?.();
    this.calls.push(`apply ${zone} ${changes.length}`);
    await this.held('apply');
    this.batches.push(changes.length);
    const bad = changes.find((c) => this.refused.has(c.record.name));
    if (bad) throw new ProviderError(`HTTP 422: RRset ${bad.record.name}. IN ${bad.record.type}: refused`, 'rejected', { status: 422 });
    const fault = this.faults.apply.shift();
    const stopAt = fault && 'afterChanges' in fault ? fault.afterChanges : fault ? 0 : changes.length;
    const records = this.zone(zone);
    for (const [i, c] of changes.entries()) {
      if (i >= stopAt) break;
      const key = recordKey(c.record.name, c.record.type);
      if (c.action === 'delete') records.delete(key);
      else records.set(key, c.record);
    }
    if (fault) throw 'afterChanges' in fault ? fault.error : fault;
  }

  maxTargets(): number | undefined {
    return this.limit;
  }

  private async held(op: Op): Promise<void> {
    const hold = this.holds[op].shift();
    if (!hold) return;
    hold.reached();
    await hold.released;
  }

  private maybeFail(op: Op): void {
    const fault = this.faults[op].shift();
    if (fault) throw 'afterChanges' in fault ? fault.error : fault;
  }

  private zone(zone: string): Map<string, DnsRecord> {
    const z = this.data.get(zone);
    if (!z) throw new ProviderError(`no zone ${zone}`, 'rejected', { status: 404 });
    return z;
  }
}

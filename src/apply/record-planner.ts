// Planning one record against one zone as the provider sink holds it (src/plan/plan.ts does the
// deciding): for a batch, and for the dry run of `mcdns plan`. Only the names the record wants,
// owns or needs around its names (above and below, for providers answering subtrees) are looked
// at, not the whole zone.
import type { Endpoint } from '../api/schema.js';
import { normaliseName } from '../core/names.js';
import { namesAbove, planRecord, type Conflict, type Problem } from '../plan/plan.js';
import type { Change, DnsRecord, SyncPolicy } from '../plan/records.js';
import type { SinkContext } from './sink-context.js';
import type { ZoneContent, ZoneView } from './zone-content.js';

export class RecordPlanner {
  constructor(private readonly ctx: SinkContext) {}

  /**
   * The record's changes and conflicts in `view`'s zone. `index` finds the names the record owns
   * when `view` is a fork of it (a batch plans on a fork, to see the earlier records' changes).
   */
  planOne(view: ZoneView, resource: string, endpoints: readonly Endpoint[], zones: string[], policy: SyncPolicy, index?: ZoneContent): { changes: Change[]; conflicts: Conflict[] } {
    const { provider } = this.ctx;
    const content = index ?? (view as ZoneContent);
    const wanted = endpoints.map((e) => normaliseName(e.dnsName));
    // A provider answering subtrees needs the names above and below each one too, with their ownership TXTs.
    const around = provider.answersSubtree ? wanted.flatMap((n) => [...namesAbove(n, view.zone), ...view.namesBelow(n)]) : [];
    const names = content.namesFor(resource, [...wanted, ...around]);
    const records: DnsRecord[] = [];
    for (const n of names) records.push(...view.at(n));
    const plan = planRecord({ ...this.planInput(resource, endpoints, zones, policy), current: [{ zone: view.zone, records }], partial: true });
    return { changes: plan.zones[0]?.changes ?? [], conflicts: plan.conflicts };
  }

  /** Problems of the desired endpoints (no zone, filtered, invalid, limits), planned against nothing. */
  problems(resource: string, endpoints: readonly Endpoint[], zones: string[]): Problem[] {
    if (endpoints.length === 0) return [];
    return planRecord({ ...this.planInput(resource, endpoints, zones, this.ctx.opts.policy), current: [], partial: true }).problems;
  }

  private planInput(resource: string, endpoints: readonly Endpoint[], zones: string[], policy: SyncPolicy) {
    const { opts, provider } = this.ctx;
    const maxTargets = provider.maxTargets?.bind(provider);
    return {
      resource,
      endpoints,
      zones,
      ownership: opts.ownership,
      policy,
      ...(opts.domainFilter ? { domainFilter: opts.domainFilter } : {}),
      ...(opts.defaultTtl !== undefined ? { defaultTtl: opts.defaultTtl } : {}),
      ...(maxTargets ? { maxTargets } : {}),
      ...(provider.answersSubtree ? { answersSubtree: true } : {}),
      ...(opts.holder ? { holder: opts.holder } : {}),
    };
  }
}

// What the provider sink was last asked to publish for each record, and in which zones: kept so
// a batch plans each record's latest endpoints, a drifted name finds the records wanting it, and
// a record already in place is not planned again.
import type { Endpoint } from '../api/schema.js';
import { matchesDomainFilter, zoneFor } from '../plan/names.js';
import { normaliseName } from '../core/names.js';
import type { SinkContext } from './sink-context.js';
import type { ZoneWorkers } from './zone-worker.js';

/** The desired state of one record. */
export interface Desired {
  endpoints: readonly Endpoint[];
  /**
   * The zones holding at least one of the endpoints; which endpoints each holds is found again
   * when needed (endpointsIn): keeping that split as well cost a Map and arrays per record.
   */
  zones: readonly string[];
  /**
   * The last publication of exactly these endpoints is fully in place (no conflict, problem or
   * error) and nothing at its names changed since: publishing them again has nothing to do.
   */
  settled: boolean;
}

export class DesiredState {
  private readonly byResource = new Map<string, Desired>();

  constructor(
    private readonly ctx: SinkContext,
    private readonly workers: ZoneWorkers,
  ) {}

  get(resource: string): Desired | undefined {
    return this.byResource.get(resource);
  }

  values(): IterableIterator<Desired> {
    return this.byResource.values();
  }

  /** The desired state of `endpoints`, each in the zone of its name (if any, within the filter). */
  split(endpoints: readonly Endpoint[], zones: readonly string[]): Desired {
    const holding: string[] = [];
    for (const e of endpoints) {
      const zone = this.zoneOf(e, zones);
      if (zone !== undefined && !holding.includes(zone)) holding.push(zone);
    }
    // Most records lie in one zone: they share its worker's [zone], not an array each.
    const only = holding.length === 1 ? holding[0] : undefined;
    return { endpoints, zones: only === undefined ? holding : this.workers.getOrCreate(only).alone, settled: false };
  }

  /** The zone of the endpoint's name; undefined outside the domain filter or every zone. */
  private zoneOf(e: Endpoint, zones: readonly string[]): string | undefined {
    const name = normaliseName(e.dnsName);
    return matchesDomainFilter(name, this.ctx.opts.domainFilter) ? zoneFor(name, zones) : undefined;
  }

  /**
   * The desired endpoints in `zone`. Looking among the record's own zones finds each endpoint
   * the zone it had among all: the most specific zone holding a name is among those.
   */
  endpointsIn(desired: Desired, zone: string): Endpoint[] {
    if (!desired.zones.includes(zone)) return [];
    return desired.endpoints.filter((e) => this.zoneOf(e, desired.zones) === zone);
  }

  /** Whether the record wants a name in `zone` (rather than only letting names there go). */
  wantsIn(resource: string, zone: string): boolean {
    return this.byResource.get(resource)?.zones.includes(zone) ?? false;
  }

  /** Zones the record wants names in, wanted before, or owns something in. */
  zonesOf(resource: string, desired: Desired, zones: string[]): string[] {
    const touched = new Set(desired.zones);
    for (const zone of this.byResource.get(resource)?.zones ?? []) touched.add(zone);
    for (const zone of zones) if ((this.workers.get(zone)?.content?.ownedBy(resource).size ?? 0) > 0) touched.add(zone);
    return [...touched].filter((z) => zones.includes(z)).sort();
  }

  /** Keeps `desired` as the record's state, moving its wanted names in the zone workers along. */
  remember(resource: string, desired: Desired): void {
    const before = this.byResource.get(resource);
    for (const e of before?.endpoints ?? []) {
      const zone = before && this.zoneOf(e, before.zones);
      if (zone !== undefined) this.workers.get(zone)?.wanted.remove(normaliseName(e.dnsName), resource);
    }
    this.byResource.set(resource, desired);
    for (const e of desired.endpoints) {
      const zone = this.zoneOf(e, desired.zones);
      if (zone !== undefined) this.workers.getOrCreate(zone).wanted.add(normaliseName(e.dnsName), resource);
    }
  }

  /** Forgets the record altogether (its records are deleted): it wants no name anywhere. */
  dropDesired(resource: string): void {
    this.remember(resource, { endpoints: [], zones: [], settled: false });
    this.byResource.delete(resource);
  }
}

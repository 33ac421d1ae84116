// Writing a record's DNSEndpoint (ExternalDNS's input): create, replace when it differs, adopt
// one of our name that our cache does not hold (KubeFed's, or one not seen yet), and leave
// alone one another controller owns, remembering who for the record's status.
import type { DNSEndpoint } from '../../api/schema.js';
import { dnsEndpointName, sameDNSEndpoint, type RecordRef } from '../../core/dnsendpoint.js';
import { statusCodeOf } from '../../errors.js';
import type { ReconcileContext, ReconcileResult } from './types.js';

export class DNSEndpointWriter {
  /** DNSEndpoints of our names controlled by someone else, with who ("Kind name"). */
  private readonly conflicts = new Map<string, string>();

  constructor(private readonly ctx: ReconcileContext) {}

  /** Makes the live DNSEndpoint say `desired`, writing only when it differs. */
  async write(desired: DNSEndpoint): Promise<ReconcileResult['dnsEndpoint']> {
    const { namespace, name } = desired.metadata as { namespace: string; name: string };
    const live = this.ctx.view.dnsEndpoint(namespace, name);
    if (!live) {
      try {
        await this.ctx.writes.createDNSEndpoint(desired);
        return 'created';
      } catch (err) {
        // Not in our cache (which holds only DNSEndpoints labelled as ours) yet it exists: one
        // KubeFed wrote, or one our cache has not seen yet.
        if (statusCodeOf(err) !== 409) throw err;
        return this.adopt(desired);
      }
    }
    if (sameDNSEndpoint(live, desired)) return 'unchanged';
    const labels = { ...live.metadata.labels, ...desired.metadata.labels };
    const next = { ...desired, metadata: { ...live.metadata, labels, ownerReferences: desired.metadata.ownerReferences } };
    await this.ctx.writes.replaceDNSEndpoint(next);
    return 'updated';
  }

  /** Ready's message when write() answered 'conflict': whose DNSEndpoint it is, and what to do. */
  conflictMessage(ref: RecordRef): string {
    const name = dnsEndpointName(ref.kind, ref.name);
    const owner = this.conflicts.get(`${ref.namespace}/${name}`) ?? 'another controller';
    return `DNSEndpoint ${ref.namespace}/${name} already exists and is controlled by ${owner}: mcdns leaves it alone (delete it, or rename the record)`;
  }

  /**
   * Takes over a DNSEndpoint of our name that our cache does not hold: KubeFed's (no labels, no
   * ownerReference) or one already ours. One controlled by anything but this record is left alone.
   */
  private async adopt(desired: DNSEndpoint): Promise<ReconcileResult['dnsEndpoint']> {
    const { namespace, name } = desired.metadata as { namespace: string; name: string };
    const existing = await this.ctx.writes.readDNSEndpoint(namespace, name);
    if (!existing) throw new Error(`DNSEndpoint ${namespace}/${name} was reported to exist but is gone: retrying`);
    const ours = desired.metadata.ownerReferences?.[0];
    const controller = existing.metadata.ownerReferences?.find((o) => o.controller);
    if (controller && controller.uid !== ours?.uid) {
      this.conflicts.set(`${namespace}/${name}`, `${controller.kind} ${controller.name}`);
      this.ctx.log.warn('DNSEndpoint of this name is controlled by someone else, leaving it alone', { dnsEndpoint: `${namespace}/${name}`, controller: `${controller.kind}/${controller.name}` });
      return 'conflict';
    }
    this.conflicts.delete(`${namespace}/${name}`);
    if (sameDNSEndpoint(existing, desired)) return 'unchanged';
    const others = (existing.metadata.ownerReferences ?? []).filter((o) => !o.controller);
    const labels = { ...existing.metadata.labels, ...desired.metadata.labels };
    await this.ctx.writes.replaceDNSEndpoint({
      ...desired,
      metadata: { ...existing.metadata, labels, ownerReferences: [...others, ...(desired.metadata.ownerReferences ?? [])] },
    });
    this.ctx.log.info('adopted an existing DNSEndpoint', { dnsEndpoint: `${namespace}/${name}`, previousLabels: existing.metadata.labels ?? {} });
    return 'updated';
  }
}

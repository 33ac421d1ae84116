// Kubernetes Events on records: what `kubectl describe ingressdnsrecord <name>` shows under
// Events. One recorder for the whole controller; it never throws (an Event that cannot be
// written is logged and dropped, it must not fail a reconcile) and it writes only while this
// replica may write (the recorder sits on the gated HostWrites, so a follower records nothing).
//
// For the other parts of mcdns (health probes, providers): take the controller's recorder
// (Controller.events) and call
//   events.record({ kind, namespace, name, uid }, 'Warning', EventReason.TargetUnhealthy, '...')
// on a transition, not on every probe: Events are for changes an admin should notice.
import type { RecordRef } from '../core/dnsendpoint.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { observeEvent } from '../metrics.js';
import { NotLeaderError } from './host-writes.js';
import type { HostWrites } from './reconcile.js';

/** Reasons mcdns uses (CamelCase, as Kubernetes Events do). Ready transitions use the verdict's reason. */
export const EventReason = {
  /** Ready became True again after False: the record's names are published (a first publish records no Event). */
  Published: 'Published',
  /** The spec cannot be used; the published DNSEndpoint is left as it was. */
  InvalidSpec: 'InvalidSpec',
  /** A member cluster serving this record became unreachable for longer than the offline grace. */
  ClusterOffline: 'ClusterOffline',
  /** A member cluster serving this record answers again. */
  ClusterOnline: 'ClusterOnline',
  /** An active health probe found a target unhealthy (health checks). */
  TargetUnhealthy: 'TargetUnhealthy',
  /** A target that was unhealthy passes its probes again (health checks). */
  TargetHealthy: 'TargetHealthy',
  /** A DNS name is owned by someone else at a direct provider (TXT ownership). */
  OwnershipConflict: 'OwnershipConflict',
  /** Deleting the record waits: its DNS records could not be removed from a direct provider. */
  CleanupFailed: 'CleanupFailed',
  /** The record's DNS records were removed from the direct providers; the finalizer is released. */
  CleanedUp: 'CleanedUp',
} as const;

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Records an Event on the record; resolves whatever happens. */
  record(ref: RecordRef, type: EventType, reason: string, message: string): Promise<void>;
}

export function eventRecorder(writes: Pick<HostWrites, 'event'>, log: Logger): EventRecorder {
  return {
    async record(ref, type, reason, message) {
      const record = `${ref.kind}/${ref.namespace}/${ref.name}`;
      try {
        await writes.event(ref, type, reason, message);
        observeEvent(type, reason);
      } catch (err) {
        if (err instanceof NotLeaderError) log.debug('event not recorded: not the leader', { record, reason });
        else log.warn('could not record event', { record, reason, error: describeError(err) });
      }
    },
  };
}

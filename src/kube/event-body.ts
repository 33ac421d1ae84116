// The body of a core/v1 Event as mcdns writes it, on a record (host-writes.ts) or on the leader
// Lease (leader-election.ts): one place decides its fields, so `kubectl describe` shows both alike.
import type { CoreV1Event, V1ObjectReference } from '@kubernetes/client-node';

/** The API server refuses longer messages; kubectl shows them whole up to this. */
const MAX_MESSAGE = 1024;

export interface EventFields {
  involvedObject: V1ObjectReference & { name: string; namespace: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  component: string;
  now?: Date;
}

export function eventBody(e: EventFields): CoreV1Event {
  const now = e.now ?? new Date();
  return {
    metadata: { generateName: `${e.involvedObject.name}.`, namespace: e.involvedObject.namespace },
    involvedObject: e.involvedObject,
    type: e.type,
    reason: e.reason,
    message: e.message.slice(0, MAX_MESSAGE),
    source: { component: e.component },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    reportingComponent: e.component,
  };
}

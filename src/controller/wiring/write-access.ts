// Who may write: with --leader-elect the holder of the Lease, else this replica; never while
// stopping. Every host write passes a gate that closes at once when the Lease cannot be renewed
// in time, and Events are written through the same gate.
import { readFileSync } from 'node:fs';
import { apiLeaseClient, defaultIdentity, LeaderElector } from '../../kube/leader-election.js';
import { eventRecorder, type EventRecorder } from '../events/recorder.js';
import { ApiHostWrites, GatedHostWrites, HOST_REQUEST_TIMEOUT_MS } from '../host/host-writes.js';
import type { ControllerBase, ControllerOptions } from '../options.js';

export interface WriteAccess {
  /** The Lease's elector, with --leader-elect. */
  elector?: LeaderElector;
  /** May this replica write now. */
  writing: () => boolean;
  writes: GatedHostWrites;
  events: EventRecorder;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function leaseNamespace(opts: ControllerOptions, hostContextNamespace: string | undefined): string {
  if (opts.leaderElectionNamespace) return opts.leaderElectionNamespace;
  try {
    const ns = readFileSync(SA_NAMESPACE_FILE, 'utf8').trim();
    if (ns) return ns;
  } catch {
    // not in a pod
  }
  return hostContextNamespace || 'default';
}

/** The elector (not started), the write gate and the gated host writes and Events. */
export function writeAccess({ opts, logger, hostKc, own }: ControllerBase, stopping: () => boolean): WriteAccess {
  const elector = opts.leaderElect
    ? new LeaderElector(apiLeaseClient(hostKc), {
        namespace: leaseNamespace(opts, hostKc.getContextObject(hostKc.getCurrentContext())?.namespace),
        name: opts.leaderElectionId,
        identity: defaultIdentity(opts.pod?.name),
        leaseDurationMs: opts.leaseDurationMs,
        logger,
      })
    : undefined;
  const writing = () => !stopping() && (elector ? elector.isLeader() : true);
  // A host write may take at most the time between the renew deadline (2/3 of the Lease, when the
  // gate closes) and the Lease's expiry, so none lands once another replica may lead.
  const hostWriteTimeoutMs = opts.leaderElect ? Math.max(1000, Math.round(opts.leaseDurationMs / 3)) : HOST_REQUEST_TIMEOUT_MS;
  const writes = new GatedHostWrites(new ApiHostWrites(hostKc, opts.dnsEndpointGroup, undefined, own, hostWriteTimeoutMs), { allowed: writing });
  const events = eventRecorder(writes, logger);
  return { ...(elector ? { elector } : {}), writing, writes, events };
}

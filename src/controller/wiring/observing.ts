// What this replica watches: the member clusters, then the host (records, DNSEndpoints, Domains).
// Host watches and member watches queue only the records a change can affect (fan-out.ts); a
// member's state change also says so on the records it serves, one Event each. The records say
// what the members keep (the interest set, triggers/interest.ts): members list once the records
// are known, and a record that begins to want member objects is queued once they are read.
import { membersFromKubeconfig } from '../../observe/sources/kubeconfig.js';
import { KubeFedClusterSource } from '../../observe/sources/kubefed.js';
import { FleetInterest } from '../../observe/interest.js';
import { MemberSet } from '../../observe/members.js';
import { RECORD_KINDS } from '../../api/schema.js';
import { keyOf } from '../../core/record-key.js';
import type { SourceState } from '../events/member-sources.js';
import { TransitionEvents } from '../events/member-transitions.js';
import { ApiHostView, type HostChange } from '../host/host-view.js';
import type { ControllerBase } from '../options.js';
import { runnable } from '../runtime/manager.js';
import { FanOut } from '../triggers/fan-out.js';
import { throughInterest } from '../triggers/interest.js';
import type { WriteAccess } from './write-access.js';

export interface HostSide {
  members: MemberSet;
  view: ApiHostView;
  fanOut: FanOut;
  /** The keys of every record the host view holds. */
  allKeys: () => string[];
}

/** The member set and the host view, joined by the fan-out. Nothing is started yet. */
export function observeHost({ opts, logger, hostKc, queue, served, own }: ControllerBase): HostSide {
  const interest = new FleetInterest();
  const observer = { offlineGraceMs: opts.offlineGraceMs, heartbeatMs: opts.heartbeatMs, gatewayDiscoveryMs: opts.gatewayDiscoveryMs, logger, interest };
  const members = new MemberSet({ logger, observer });
  let onChange: ((c: HostChange) => void) | undefined; // set once the view exists; no event can arrive before then
  const view = new ApiHostView(hostKc, {
    namespace: opts.namespace,
    sharedDomainNamespace: opts.kubefedNamespace,
    dnsEndpointGroup: opts.dnsEndpointGroup,
    logger,
    members: (q) => members.observationsFor(q),
    onChange: (c) => onChange?.(c),
    onRecordsSynced: () => interest.markReady(),
  });
  const allKeys = (): string[] => RECORD_KINDS.flatMap((kind) => view.records(kind)).map(keyOf);
  const fanOut = new FanOut(view, served, queue, own, allKeys);
  onChange = throughInterest(interest, (k) => view.record(k), (c) => fanOut.host(c));
  return { members, view, fanOut, allKeys };
}

export interface MemberWatch {
  /** One Event per member cluster transition on the records it serves. */
  transitions: TransitionEvents;
  /** The KubeFedCluster source, with --kubefed-clusters. */
  kubefed?: KubeFedClusterSource;
}

/**
 * Member changes to the fan-out and their Events; then starts the members (from the kubeconfig,
 * and KubeFedClusters) and the host view, in that order.
 */
export function watchMembers(
  { opts, logger, hostKc, manager, served }: ControllerBase,
  { members, view, fanOut }: HostSide,
  { events, writing }: WriteAccess,
): MemberWatch {
  const transitions = new TransitionEvents({
    events,
    served: (cluster) => served.recordsOf(cluster),
    uid: (k) => view.record(k)?.metadata.uid,
    writing,
    logger,
  });
  members.onChange((change) => {
    fanOut.member(change);
    if (change.kind === 'State') transitions.observe(members.statuses());
  });
  const fromKubeconfig = () =>
    membersFromKubeconfig(opts.membersKubeconfig ?? opts.kubeconfig, opts.memberContexts, opts.membersKubeconfig !== undefined).forEach((m) => members.add(m));
  manager.run(runnable('members', fromKubeconfig, () => members.stop()));
  // Joining or unjoining a KubeFedCluster changes the member set without a restart.
  const kubefed = opts.kubefedClusters ? new KubeFedClusterSource(hostKc, { namespace: opts.kubefedNamespace, logger }) : undefined;
  if (kubefed) {
    kubefed.onChange((change) => void members.apply(change));
    manager.run(runnable('kubefed clusters', () => kubefed.start(), () => kubefed.stop()));
  }
  manager.run(runnable('host view', () => undefined, () => view.stop()));
  return { transitions, ...(kubefed ? { kubefed } : {}) };
}

/**
 * Each member source and whether it can be read. The kubeconfig's contexts were read at start
 * (a missing file or context stopped mcdns then); KubeFedCluster objects may lack their CRD,
 * their namespace or the RBAC to list them.
 */
export function memberSourceStates(
  { opts }: ControllerBase,
  kubefed: KubeFedClusterSource | undefined,
  namespaceExists: (namespace: string) => boolean | undefined,
): () => SourceState[] {
  return () => {
    const states: SourceState[] = [];
    if (opts.membersKubeconfig !== undefined || opts.memberContexts.length > 0) states.push({ source: 'kubeconfig', state: 'available' });
    if (kubefed) {
      const a = kubefed.availability();
      const absent = a.state === 'available' && namespaceExists(opts.kubefedNamespace) === false;
      states.push(absent ? { source: 'kubefedclusters', state: 'unavailable', reason: `namespace ${opts.kubefedNamespace} does not exist` } : { source: 'kubefedclusters', ...a });
    }
    return states;
  };
}

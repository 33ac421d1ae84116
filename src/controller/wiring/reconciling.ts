// What reconciling needs beside the host side: the direct DNS providers, the prober, one owner
// per name, the name policy, the Events of health verdicts, and the workers that wait for the
// caches (readiness) before they reconcile.
import { readFileSync } from 'node:fs';
import { DirectOutputs, leaderGate, sinksFrom } from '../../apply/outputs.js';
import { ownershipFromConfig } from '../../apply/config.js';
import type { RecordKind } from '../../api/schema.js';
import type { Claimant } from '../../core/claims.js';
import { keyOf, parseKey, type RecordKey } from '../../core/record-key.js';
import { ownershipTxtNames, resourceId } from '../../plan/ownership.js';
import { Prober, ProbePolicy } from '../../health/index.js';
import { observeProbe } from '../../metrics/metrics.js';
import { HealthTransitions } from '../events/health-transitions.js';
import type { SourceState } from '../events/member-sources.js';
import { ApiNamePolicy } from '../host/name-policy.js';
import type { ControllerBase } from '../options.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import { runnable } from '../runtime/manager.js';
import { Readiness } from '../runtime/readiness.js';
import { ClaimIndex } from '../triggers/claims.js';
import { Workers } from '../workers.js';
import type { HostSide } from './observing.js';
import type { WriteAccess } from './write-access.js';

/**
 * The direct DNS providers. Provider writes pass the same gate as host writes: a replica that
 * lost the Lease writes nothing more to a DNS provider either.
 */
export function providerOutputs({ opts, logger, queue }: ControllerBase, writing: () => boolean, holderOf: (name: string) => Claimant | undefined): DirectOutputs {
  // A name handed from one record to another is taken over by the new holder in one write.
  const holder = (name: string): string | undefined => {
    const h = holderOf(name);
    return h && resourceId(h.kind as RecordKind, h.namespace, h.name);
  };
  const direct = new DirectOutputs(sinksFrom(opts.providers, logger, { beforeWrite: leaderGate(writing), othersWaiting: () => queue.depth > 0, holder }));
  direct.onRepublished((k) => queue.add(keyOf(k)));
  return direct;
}

/**
 * The prober. Probes run only while this replica may write: a follower's verdicts would be
 * thrown away, and a deposed leader's would go on loading every target for nothing.
 */
export function startProber({ opts, logger, queue }: ControllerBase, paused: boolean): Prober {
  const prober = new Prober({
    concurrency: opts.probeConcurrency,
    logger,
    paused,
    ...(opts.probeCaFile ? { ca: [readFileSync(opts.probeCaFile, 'utf8')] } : {}),
    policy: new ProbePolicy(opts.probePolicy),
  });
  // A hostname target checked by the probe policy may now be published (or stays out): re-run.
  prober.onScreened((record) => queue.add(record));
  prober.onProbe((r, ms) =>
    observeProbe(r.ok ? 'healthy' : r.statusCode !== undefined ? 'unhealthy' : 'error', ms / 1000, { namespace: r.namespace, seconds: r.queuedMs / 1000 }),
  );
  return prober;
}

export interface NameOwnership {
  claims: ClaimIndex;
  namePolicy: ApiNamePolicy;
}

/** Who owns a name, and who may have it; starts the name policy's watches. */
export function nameOwnership({ opts, logger, hostKc, manager, queue }: ControllerBase, allKeys: () => string[], direct: DirectOutputs): NameOwnership {
  // One owner per name: a change of a name's claimants re-runs its other claimants at once. A
  // name claims its ownership TXT names too, as the providers' (or ExternalDNS's, configured
  // alike) --txt-prefix/--txt-suffix derive them; and, where a provider answers a name with
  // every record below it, the names below it.
  const ownership = ownershipFromConfig(opts.providers.sink);
  const claims = new ClaimIndex((name) => ownershipTxtNames(name, ownership), direct.answersSubtree);
  claims.onChange((records) => records.forEach((r) => queue.add(r)));
  // Authorised names: a policy change re-runs every record, a namespace's labels its records.
  const namePolicy = new ApiNamePolicy(hostKc, logger);
  namePolicy.onChange((namespace) => allKeys().filter((k) => namespace === undefined || parseKey(k).namespace === namespace).forEach((k) => queue.add(k)));
  manager.run(runnable('name policy', () => undefined, () => namePolicy.stop()));
  return { claims, namePolicy };
}

/** Verdict changes re-run the record and say so on it, batched per record (health-transitions.ts). */
export function healthEvents({ logger, queue }: ControllerBase, { view }: HostSide, { events, writing }: WriteAccess, prober: Prober): HealthTransitions {
  const health = new HealthTransitions({ events, enqueue: (r) => queue.add(r), uid: (k) => view.record(k)?.metadata.uid, writing, logger });
  prober.onTransition((t) => health.observe(t));
  return health;
}

/**
 * Ready once the host caches have synced and every member has synced or been declared offline
 * (bounded by the offline grace), so a cold start does not publish half the members. A member
 * source still being read counts with the members; one that cannot be read holds nothing.
 */
export function readinessOf(
  { opts, logger }: ControllerBase,
  { view, members }: HostSide,
  sources: () => SourceState[],
  problems: () => string[],
  namePolicy: ApiNamePolicy,
  stopping: () => boolean,
): Readiness {
  const pending = () => sources().filter((s) => s.state === 'pending');
  return new Readiness({
    hostSynced: () => view.synced() && namePolicy.synced(),
    hostWaitingFor: () => [...view.unsynced(), ...namePolicy.unsynced(), ...pending().map((s) => `member source ${s.source}${s.reason ? ` (${s.reason})` : ''}`)],
    membersDecided: () => pending().length === 0 && (members.synced() || members.statuses().every((m) => m.state !== 'unknown')),
    problems,
    graceMs: opts.offlineGraceMs,
    stopping,
    logger,
  });
}

/** The workers (not started): they take the queue's keys to the reconciler once readiness allows. */
export function workersFor(
  { opts, logger, queue, served }: ControllerBase,
  { view, fanOut, allKeys }: HostSide,
  { writing }: WriteAccess,
  reconciler: Reconciler,
  direct: DirectOutputs,
  readiness: Readiness,
): Workers {
  return new Workers({
    queue,
    reconciler,
    workers: opts.workers,
    logger,
    writing,
    mayStart: () => readiness.mayStart(),
    allKeys: () => {
      const keys = allKeys();
      reconciler.seedClaims(keys.map(parseKey)); // every older claim is known before the first reconcile
      return keys;
    },
    publishOutputs: (k, outputs) => reconciler.publishOutputs(k, outputs),
    recordsSynced: () => view.recordsSynced(),
    ...(direct.configured
      ? {
          // Only records this replica watches: another namespace's records are not ours to judge.
          orphans: async () =>
            (await direct.orphans((k) => view.record(k) !== undefined || (opts.namespace !== undefined && k.namespace !== opts.namespace))).map(keyOf),
        }
      : {}),
    reconciled: (key, result, k: RecordKey) => {
      if (result) served.set(k, result.clusters ?? []);
      fanOut.settle(key);
    },
  });
}

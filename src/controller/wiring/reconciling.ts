// What reconciling needs beside the host side: the direct DNS providers, the prober, one owner
// per name, the name policy, the Events of health verdicts, and the workers that wait for the
// caches (readiness) before they reconcile.
import { readFileSync } from 'node:fs';
import { DirectOutputs, leaderGate, sinksFrom } from '../../apply/outputs.js';
import type { RecordKind } from '../../api/schema.js';
import { keyOf, parseKey, type RecordKey } from '../../core/record-key.js';
import { resourceId } from '../../plan/ownership.js';
import { Prober, ProbePolicy } from '../../health/index.js';
import { observeProbe } from '../../metrics/metrics.js';
import type { KubeFedClusterSource } from '../../observe/sources/kubefed.js';
import { HealthTransitions } from '../events/health-transitions.js';
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
export function providerOutputs({ opts, logger, queue }: ControllerBase, writing: () => boolean, claims: ClaimIndex): DirectOutputs {
  // A name handed from one record to another is taken over by the new holder in one write.
  const holder = (name: string): string | undefined => {
    const h = claims.holder(name);
    return h && resourceId(h.kind as RecordKind, h.namespace, h.name);
  };
  const direct = new DirectOutputs(sinksFrom(opts.providers, logger, leaderGate(writing), holder));
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
  prober.onProbe((r, ms) => observeProbe(r.ok ? 'healthy' : r.statusCode !== undefined ? 'unhealthy' : 'error', ms / 1000));
  return prober;
}

export interface NameOwnership {
  claims: ClaimIndex;
  namePolicy: ApiNamePolicy;
}

/** Who owns a name, and who may have it; starts the name policy's watches. */
export function nameOwnership({ logger, hostKc, manager, queue }: ControllerBase, allKeys: () => string[]): NameOwnership {
  // One owner per name: a change of a name's claimants re-runs its other claimants at once.
  const claims = new ClaimIndex();
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
 * (bounded by the offline grace), so a cold start does not publish half the members.
 */
export function readinessOf(
  { opts, logger }: ControllerBase,
  { view, members }: HostSide,
  kubefed: KubeFedClusterSource | undefined,
  namePolicy: ApiNamePolicy,
  stopping: () => boolean,
): Readiness {
  return new Readiness({
    hostSynced: () => view.synced() && (kubefed?.synced() ?? true) && namePolicy.synced(),
    hostWaitingFor: () => [...view.unsynced(), ...(kubefed && !kubefed.synced() ? ['KubeFedCluster'] : []), ...namePolicy.unsynced()],
    membersDecided: () => members.synced() || members.statuses().every((m) => m.state !== 'unknown'),
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

// Where a member cluster's connection comes from, reduced to what the observers need.
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';

export interface MemberConfig {
  /** The cluster name used everywhere (status dns[].cluster, logs, DNS targets' owner). */
  name: string;
  /** A KubeConfig of its own whose current context is this member. */
  kubeConfig: KubeConfig;
  /** Registration region; wins over the member's node labels. */
  region?: string;
  /** Registration zones; win over the member's node labels when non-empty. */
  zones?: string[];
  source: 'kubeconfig' | 'kubefedcluster';
}

/** One batch of membership changes (a join, an unjoin, a credential or endpoint change). */
export interface MemberChangeSet {
  added: MemberConfig[];
  /** Same name, different connection or registration: the observer must be replaced. */
  updated: MemberConfig[];
  removed: string[];
}

/**
 * A digest of everything that makes two MemberConfigs behave differently. Hashed because the
 * exported kubeconfig holds the token: the digest can be compared and even logged safely.
 */
export function memberFingerprint(m: MemberConfig): string {
  const h = createHash('sha256');
  h.update(m.kubeConfig.exportConfig());
  h.update(JSON.stringify({ region: m.region ?? null, zones: m.zones ?? null, source: m.source }));
  return h.digest('hex');
}

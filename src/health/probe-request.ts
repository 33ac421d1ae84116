// What one tracked address becomes: the probe request built from the record's settings, and the
// identity under which records probing the same address with the same settings share one probe.
import type { ProbeTarget } from '../core/health-status.js';
import type { ProbeRequest } from './probe.js';
import type { ResolvedHealthCheck } from './spec.js';

export function requestFor(target: ProbeTarget, settings: ResolvedHealthCheck): ProbeRequest {
  const hostHeader = settings.host ?? target.host;
  return {
    address: target.address,
    protocol: settings.protocol,
    port: settings.port,
    path: settings.path,
    ...(hostHeader === undefined ? {} : { hostHeader }),
    expectedStatus: settings.expectedStatus,
    timeoutMs: settings.timeoutMs,
    insecureSkipVerify: settings.insecureSkipVerify,
  };
}

/** Two records share a probe only when everything that shapes it or its verdict is equal. */
export function probeIdentity(request: ProbeRequest, settings: ResolvedHealthCheck): string {
  return JSON.stringify([
    request,
    settings.intervalMs,
    settings.failureThreshold,
    settings.successThreshold,
  ]);
}

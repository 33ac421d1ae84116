// The other workloads of a production member: Services with an EndpointSlice each and Ingresses
// that no record refers to, in namespaces of their own, and the churn of their endpoints (every
// pod restart rewrites a slice). What mcdns must carry at little cost, created through the real
// API with the bench's bare client.
import { randomUUID } from 'node:crypto';
import { bounded, type KubeRest, type KubeObject } from './rest.js';
import { sleep } from './process.js';

export interface BackgroundOptions {
  /** Headless Services, each with one EndpointSlice. */
  services: number;
  /** Ingresses (each routing to one of the Services). Default 0. */
  ingresses?: number;
  /** Endpoints per slice (default 10). */
  endpointsPerSlice?: number;
  /** Namespaces the objects are spread over (default 10), named `${prefix}-<i>`. */
  namespaces?: number;
  /** Namespace prefix (default "background"): no record may use these namespaces. */
  prefix?: string;
  /** Requests in flight while creating (default 32). */
  concurrency?: number;
}

/** One slice of the background, as it is now (what churn rewrites). */
interface SliceState {
  namespace: string;
  name: string;
  endpoints: Array<{ addresses: string[]; conditions: { ready: boolean }; targetRef: { kind: string; namespace: string; name: string; uid: string }; nodeName: string }>;
}

export interface Background {
  namespaces: string[];
  services: number;
  ingresses: number;
  slices: SliceState[];
}

const SERVICE_NAME = 'kubernetes.io/service-name';

function serviceBody(ns: string, name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: { clusterIP: 'None', selector: { app: name }, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  };
}

function sliceOf(ns: string, service: string, i: number, endpoints: number): SliceState {
  return {
    namespace: ns,
    name: `${service}-${(i % 99_999).toString(36).padStart(5, 'x')}`,
    endpoints: Array.from({ length: endpoints }, (_, e) => ({
      addresses: [`10.${(i >> 8) & 255}.${i & 255}.${e + 1}`],
      conditions: { ready: true },
      targetRef: { kind: 'Pod', namespace: ns, name: `${service}-pod-${e}`, uid: randomUUID() },
      nodeName: `node-${e % 3}`,
    })),
  };
}

function sliceBody(s: SliceState, service: string): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: s.name, namespace: s.namespace, labels: { [SERVICE_NAME]: service, 'endpointslice.kubernetes.io/managed-by': 'bench.mcdns.io' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: s.endpoints,
  };
}

function ingressBody(ns: string, name: string, service: string, host: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 8080 } } } }] } }] },
  };
}

/** Creates the background on one member (objects that already exist are kept). */
export async function createBackground(rest: KubeRest, opts: BackgroundOptions): Promise<Background> {
  const prefix = opts.prefix ?? 'background';
  const namespaces = Array.from({ length: opts.namespaces ?? 10 }, (_, i) => `${prefix}-${i}`);
  const concurrency = opts.concurrency ?? 32;
  const perSlice = opts.endpointsPerSlice ?? 10;
  for (const ns of namespaces) await rest.post('/api/v1/namespaces', { metadata: { name: ns } }, [409]);
  const slices: SliceState[] = [];
  await bounded(opts.services, concurrency, async (i) => {
    const ns = namespaces[i % namespaces.length]!;
    const name = `svc-${i}`;
    await rest.post(`/api/v1/namespaces/${ns}/services`, serviceBody(ns, name), [409]);
    const slice = sliceOf(ns, name, i, perSlice);
    await rest.post(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, sliceBody(slice, name), [409]);
    slices.push(slice);
  });
  const ingresses = opts.ingresses ?? 0;
  await bounded(ingresses, concurrency, async (i) => {
    const ns = namespaces[i % namespaces.length]!;
    await rest.post(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, ingressBody(ns, `ing-${i}`, `svc-${i % Math.max(1, opts.services)}`, `app-${i}.${ns}.background.test`), [409]);
  });
  return { namespaces, services: opts.services, ingresses, slices };
}

/**
 * Rewrites `perSecond` background slices each second until `signal` aborts, as pod restarts do:
 * one endpoint's readiness flips. Returns how many updates were made.
 */
export async function churnBackground(rest: KubeRest, background: Background, perSecond: number, signal: AbortSignal): Promise<number> {
  if (perSecond <= 0 || background.slices.length === 0) return 0;
  const tickMs = 100;
  let updates = 0;
  let next = 0;
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  while (!signal.aborted) {
    // Catch up to the rate since the start: a slow tick is followed by a larger one.
    const due = ((Date.now() - started) / 1000) * perSecond - updates;
    for (let n = Math.floor(due); n > 0 && inFlight.size < 64; n--) {
      const slice = background.slices[next++ % background.slices.length]!;
      const ep = slice.endpoints[updates % slice.endpoints.length]!;
      ep.conditions.ready = !ep.conditions.ready;
      const p = rest
        .mergePatch(`/apis/discovery.k8s.io/v1/namespaces/${slice.namespace}/endpointslices/${slice.name}`, { endpoints: slice.endpoints })
        .then(() => undefined)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      updates++;
    }
    await sleep(tickMs);
  }
  await Promise.allSettled([...inFlight]);
  return updates;
}

// The members' other workloads, which no record refers to: per API server, N headless Services
// each with one EndpointSlice of 10 endpoints, and N/10 Ingresses (hosts in a domain no record
// uses, each backed by one of those Services, with a load-balancer address), in namespaces
// bg-0, bg-1, ... (100 Services each) where no record lives. And their churn: R ready flips per
// second to random endpoints of those slices, as pod restarts make them, with a bounded number
// of writes in flight (a rate the API server cannot take is reported as the rate achieved).
import { bounded, type KubeRest } from '../../env/rest.js';

const PER_NAMESPACE = 100;
const ENDPOINTS = 10;

const ns = (i: number) => `bg-${Math.floor(i / PER_NAMESPACE)}`;
const svc = (i: number) => `bg-svc-${i}`;

/** The i-th background Service's EndpointSlice (10 ready endpoints). */
function sliceBody(i: number): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc(i)}-1`, namespace: ns(i), labels: { 'kubernetes.io/service-name': svc(i), 'endpointslice.kubernetes.io/managed-by': 'mcdns-bench' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: ENDPOINTS }, (_, j) => ({
      addresses: [`10.${(i >> 8) & 255}.${i & 255}.${j + 1}`],
      conditions: { ready: true },
    })),
  };
}

/**
 * Creates the background of one API server: namespaces, N Services with their slices, N/10
 * Ingresses with a load-balancer address (127.240.x.y, which nothing probes). Returns the
 * number of objects written.
 */
export async function createBackground(rest: KubeRest, n: number, concurrency: number, progress?: (done: number) => void): Promise<number> {
  const namespaces = Math.ceil(n / PER_NAMESPACE);
  await bounded(namespaces, concurrency, async (j) => {
    await rest.post('/api/v1/namespaces', { metadata: { name: `bg-${j}` } }, [409]);
  });
  await bounded(
    n,
    concurrency,
    async (i) => {
      await rest.post(
        `/api/v1/namespaces/${ns(i)}/services`,
        { metadata: { name: svc(i), namespace: ns(i) }, spec: { clusterIP: 'None', selector: { app: svc(i) }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
        [409],
      );
      await rest.post(`/apis/discovery.k8s.io/v1/namespaces/${ns(i)}/endpointslices`, sliceBody(i), [409]);
    },
    progress,
  );
  const ingresses = Math.floor(n / 10);
  await bounded(ingresses, concurrency, async (k) => {
    const i = k * 10;
    const path = `/apis/networking.k8s.io/v1/namespaces/${ns(i)}/ingresses`;
    await rest.post(
      path,
      {
        metadata: { name: `bg-ing-${k}`, namespace: ns(i) },
        spec: { rules: [{ host: `bg-${k}.unrelated.example`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: svc(i), port: { number: 80 } } } }] } }] },
      },
      [409],
    );
    await rest.mergePatch(`${path}/bg-ing-${k}/status`, { status: { loadBalancer: { ingress: [{ ip: `127.240.${(k >> 8) & 255}.${k & 255}` }] } } });
  });
  return namespaces + 2 * n + 2 * ingresses;
}

export interface Churn {
  /** Flips written so far, and those that failed. */
  readonly written: number;
  readonly failed: number;
  /** Stops; resolves once the writes in flight are done. Returns the rate achieved (flips/s per API server). */
  stop(): Promise<number>;
}

/**
 * R ready flips per second on each API server, spread evenly in time (every 20 ms, as many as
 * are due), each a JSON patch of one endpoint's ready condition. At most `maxInFlight` writes
 * wait per server; flips due beyond that are skipped, so the rate achieved says what the
 * servers took.
 */
export function startChurn(servers: KubeRest[], n: number, perSecond: number, maxInFlight = 32): Churn {
  const state = servers.map(() => new Map<number, boolean>()); // slice*ENDPOINTS+endpoint → ready, when flipped
  const inFlight = servers.map(() => 0);
  const pending = new Set<Promise<void>>();
  let written = 0;
  let failed = 0;
  const t0 = performance.now();
  let due = 0;
  const flip = (s: number): void => {
    const rest = servers[s]!;
    const i = Math.floor(Math.random() * n);
    const j = Math.floor(Math.random() * ENDPOINTS);
    const key = i * ENDPOINTS + j;
    const ready = !(state[s]!.get(key) ?? true);
    state[s]!.set(key, ready);
    inFlight[s]!++;
    const p = rest
      .request('PATCH', `/apis/discovery.k8s.io/v1/namespaces/${ns(i)}/endpointslices/${svc(i)}-1`, [{ op: 'replace', path: `/endpoints/${j}/conditions/ready`, value: ready }], {
        contentType: 'application/json-patch+json',
        tries: 1,
      })
      .then(
        () => void written++,
        () => void failed++,
      )
      .finally(() => {
        inFlight[s]!--;
        pending.delete(p);
      });
    pending.add(p);
  };
  const timer = setInterval(() => {
    const shouldHave = Math.floor(((performance.now() - t0) / 1000) * perSecond);
    for (; due < shouldHave; due++) for (let s = 0; s < servers.length; s++) if (inFlight[s]! < maxInFlight) flip(s);
  }, 20);
  return {
    get written() {
      return written;
    },
    get failed() {
      return failed;
    },
    async stop() {
      clearInterval(timer);
      const elapsedS = (performance.now() - t0) / 1000;
      await Promise.all([...pending]);
      return Math.round((written / servers.length / Math.max(elapsedS, 0.001)) * 10) / 10;
    },
  };
}

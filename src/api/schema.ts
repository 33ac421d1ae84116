// The one schema source: every kind mcdns reads or writes is described here once.
// The same objects produce the CRD YAML under manifests/ (see crds.ts), the ajv validation
// at run time (see validate.ts) and, through TypeBox's Static<>, the TypeScript types.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MAX_FIRST_LABEL, MAX_NAME, NAME_RULES, type NameRule } from './rules.js';
import { ROUTE_RULES, RouteRef } from './route-ref.js';

export const KUBEFED_GROUP = 'multiclusterdns.kubefed.io';
export const EXTERNALDNS_GROUP = 'externaldns.k8s.io';
export const VERSION = 'v1alpha1';
export const RECORD_API_VERSION = `${KUBEFED_GROUP}/${VERSION}`;

/** KubeFed's default when recordTTL is 0 or absent. */
export const DEFAULT_TTL = 180;
/** RFC 2181 §8: a TTL is an unsigned 31-bit number. */
export const MAX_TTL = 2147483647;
export const MAX_HOSTS = 100;

// ---- Names that can be written: the limits and CEL rules live in rules.ts ----
/** The x-kubernetes-validations entries of some rules. */
function validations(...rules: NameRule[]): { 'x-kubernetes-validations': { rule: string; message: string }[] } {
  return { 'x-kubernetes-validations': rules.map(({ rule, message }) => ({ rule, message })) };
}

const LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const hostnameDescription =
  `a lower-case DNS name of RFC 1123 labels (the first at most ${MAX_FIRST_LABEL} characters, the others 63, ${MAX_NAME} in all), ` +
  'optionally starting with the whole label "*", not an IP address';
const Hostname = Type.String({
  maxLength: MAX_NAME,
  pattern: `^(\\*\\.)?(${LABEL}\\.)*${LABEL}\\.?$`,
  description: hostnameDescription,
  ...validations(NAME_RULES.notAnAddress, NAME_RULES.firstLabelFitsTxt),
});
/** A zone (Domain.domain): no wildcard, no TXT of its own in its first label. */
const ZoneName = Type.String({
  maxLength: 253,
  pattern: `^(${LABEL}\\.)*${LABEL}\\.?$`,
  description: 'a lower-case DNS name of RFC 1123 labels (at most 63 characters each, 253 in all), not an IP address',
  ...validations(NAME_RULES.notAnAddress),
});
const DnsLabel = Type.String({
  maxLength: MAX_FIRST_LABEL,
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  description: `a single lower-case DNS label (RFC 1123) of at most ${MAX_FIRST_LABEL} characters: it is the first label of a published name`,
});
const TTL = Type.Integer({
  format: 'int64',
  minimum: 0,
  maximum: MAX_TTL,
  description: `record TTL in seconds; 0 or absent means ${DEFAULT_TTL}, or the controller's --health-checked-ttl (default 30) when the targets are health-checked`,
});

export const Condition = Type.Object({
  type: Type.String(),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  reason: Type.String(),
  message: Type.String(),
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64' })),
  lastTransitionTime: Type.String({ format: 'date-time' }),
});
export type Condition = Static<typeof Condition>;

export const LoadBalancerIngress = Type.Object({
  ip: Type.Optional(Type.String()),
  hostname: Type.Optional(Type.String()),
});
export type LoadBalancerIngress = Static<typeof LoadBalancerIngress>;
export const LoadBalancerStatus = Type.Object({
  ingress: Type.Optional(Type.Array(LoadBalancerIngress)),
});
export type LoadBalancerStatus = Static<typeof LoadBalancerStatus>;

const ObjectMeta = Type.Object(
  {
    name: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String()),
    generation: Type.Optional(Type.Integer()),
    resourceVersion: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    deletionTimestamp: Type.Optional(Type.String()),
    finalizers: Type.Optional(Type.Array(Type.String())),
    creationTimestamp: Type.Optional(Type.String()),
    ownerReferences: Type.Optional(
      Type.Array(
        Type.Object({
          apiVersion: Type.String(),
          kind: Type.String(),
          name: Type.String(),
          uid: Type.String(),
          controller: Type.Optional(Type.Boolean()),
          blockOwnerDeletion: Type.Optional(Type.Boolean()),
        }),
      ),
    ),
  },
  { additionalProperties: true },
);
type ObjectMeta = Static<typeof ObjectMeta>;

/** The top-level object shape: a kind's own fields beside apiVersion/kind/metadata. */
function kubeObject<P extends Record<string, TSchema>>(fields: P) {
  return Type.Object({
    apiVersion: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String()),
    metadata: ObjectMeta,
    ...fields,
  });
}

// ---- Health checks and strategies (mcdns extensions; KubeFed YAML without them stays valid) ----
// Defaults live in src/health/spec.ts, not in the schema: the API server would otherwise write
// them into admins' objects and every default change would rewrite stored records.
const HttpStatusRange = Type.String({
  pattern: '^[1-5][0-9][0-9](-[1-5][0-9][0-9])?$',
  description: 'an HTTP status code ("200") or an inclusive range ("200-399")',
});
export const HealthCheck = Type.Object({
  protocol: Type.Optional(
    Type.Union([Type.Literal('http'), Type.Literal('https'), Type.Literal('tcp')], { description: 'probe protocol (default http)' }),
  ),
  port: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 65535, description: 'port probed on every published address (default 80 for http and tcp, 443 for https)' }),
  ),
  path: Type.Optional(
    Type.String({
      pattern: '^/[!-~]*$',
      maxLength: 2048,
      description: 'a request path of printable ASCII without spaces or control characters (percent-encode them), for http and https probes (default /)',
    }),
  ),
  host: Type.Optional(
    Type.String({
      maxLength: 253,
      pattern: '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
      description: 'Host header and TLS server name of http and https probes (default: the record\'s host name)',
    }),
  ),
  expectedStatus: Type.Optional(
    Type.Array(HttpStatusRange, { minItems: 1, maxItems: 16, description: 'HTTP status codes that count as healthy (default ["200-399"])' }),
  ),
  intervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'seconds between probes of one address (default 5)' })),
  timeoutSeconds: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 60, description: 'seconds a probe may take (default 3, at most intervalSeconds)' }),
  ),
  failureThreshold: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, description: 'consecutive failed probes before an address leaves DNS (default 3)' }),
  ),
  successThreshold: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, description: 'consecutive good probes before an unhealthy address returns (default 2)' }),
  ),
  insecureSkipVerify: Type.Optional(
    Type.Boolean({ description: 'https probes accept any certificate (default false: the certificate is verified)' }),
  ),
});
export type HealthCheck = Static<typeof HealthCheck>;

const FailoverPriority = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
  maxItems: 100,
  description: 'member clusters in order of preference for strategy failover; unlisted clusters follow, by name',
});

/** Health of one member cluster as the record sees it: reachability (and ready endpoints for Services). */
export const ClusterHealthStatus = Type.Object({
  cluster: Type.String(),
  healthy: Type.Boolean(),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  lastError: Type.Optional(Type.String()),
});
export type ClusterHealthStatus = Static<typeof ClusterHealthStatus>;
/** Health of one load-balancer address: its cluster's health combined with the active probes. */
export const TargetHealthStatus = Type.Object({
  target: Type.String(),
  cluster: Type.String(),
  healthy: Type.Boolean(),
  published: Type.Boolean(),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  lastError: Type.Optional(Type.String()),
});
export type TargetHealthStatus = Static<typeof TargetHealthStatus>;
export const RecordHealthStatus = Type.Object({
  clusters: Type.Optional(Type.Array(ClusterHealthStatus)),
  targets: Type.Optional(Type.Array(TargetHealthStatus)),
  failOpen: Type.Optional(
    Type.Array(Type.String(), { description: 'names whose targets are all unhealthy, still served with the last published set' }),
  ),
});
export type RecordHealthStatus = Static<typeof RecordHealthStatus>;

/** One name a record claims, and when it first claimed it (written by mcdns only). */
const ClaimStatus = Type.Object({
  name: Type.String(),
  since: Type.String({ format: 'date-time' }),
});

const CommonStatus = {
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64' })),
  conditions: Type.Optional(Type.Array(Condition)),
  // mcdns addition: every published target in one list, for the `kubectl get` Targets column
  // (a printer column shows only the first match of a JSONPath wildcard).
  targets: Type.Optional(Type.Array(Type.String())),
  // mcdns addition: per-cluster and per-target health, written when health is evaluated.
  health: Type.Optional(RecordHealthStatus),
  // mcdns addition: since when the record claims each of its names (docs/name-ownership.md). In
  // status because only the controller writes status: a tenant cannot age a claim.
  claims: Type.Optional(
    Type.Array(ClaimStatus, {
      description: 'every name this record claims and when it first claimed it, written by mcdns: the oldest claim holds a name',
    }),
  ),
};

/** The strategies of records whose names are hosts (Ingress and route records). */
const HostStrategy = Type.Union([Type.Literal('roundRobin'), Type.Literal('failover')], {
  description: 'roundRobin (default): every healthy target; failover: only the first healthy cluster of failoverPriority',
});

// ---- IngressDNSRecord (KubeFed fields, verbatim) ----
const IngressDNSRecordSpec = Type.Object(
  {
    hosts: Type.Optional(Type.Array(Hostname, { maxItems: MAX_HOSTS, description: 'host names to publish' })),
    recordTTL: Type.Optional(TTL),
    // mcdns extensions
    healthCheck: Type.Optional(HealthCheck),
    strategy: Type.Optional(HostStrategy),
    failoverPriority: Type.Optional(FailoverPriority),
  },
  validations(NAME_RULES.probeHostIsAHost),
);
export const ClusterIngressDNS = Type.Object({
  cluster: Type.String(),
  loadBalancer: LoadBalancerStatus,
});
const IngressDNSRecordStatus = Type.Object({
  ...CommonStatus,
  dns: Type.Optional(Type.Array(ClusterIngressDNS)),
});
export const IngressDNSRecord = kubeObject({
  spec: IngressDNSRecordSpec,
  status: Type.Optional(IngressDNSRecordStatus),
});
export type IngressDNSRecord = Static<typeof IngressDNSRecord>;
type IngressDNSRecordStatus = Static<typeof IngressDNSRecordStatus>;

// ---- ServiceDNSRecord (KubeFed fields, verbatim) ----
const ServiceDNSRecordSpec = Type.Object({
  domainRef: Type.String({ minLength: 1, description: 'name of the Domain object holding the DNS zone' }),
  recordTTL: Type.Optional(TTL),
  dnsPrefix: Type.Optional(DnsLabel),
  externalName: Type.Optional(DnsLabel),
  allowServiceWithoutEndpoints: Type.Optional(Type.Boolean()),
  // mcdns extensions
  healthCheck: Type.Optional(HealthCheck),
  strategy: Type.Optional(
    Type.Union([Type.Literal('roundRobin'), Type.Literal('failover'), Type.Literal('region-preferred')], {
      description:
        'roundRobin (default): every healthy target; failover: only the first healthy cluster of failoverPriority; ' +
        'region-preferred: a zonal or regional name whose targets are all unhealthy answers with the targets of the level up',
    }),
  ),
  failoverPriority: Type.Optional(FailoverPriority),
});
export const ClusterServiceDNS = Type.Object({
  cluster: Type.String(),
  loadBalancer: LoadBalancerStatus,
  zones: Type.Optional(Type.Array(Type.String())),
  region: Type.Optional(Type.String()),
});
const ServiceDNSRecordStatus = Type.Object({
  ...CommonStatus,
  domain: Type.Optional(Type.String()),
  dns: Type.Optional(Type.Array(ClusterServiceDNS)),
});
export const ServiceDNSRecord = Type.Object(
  {
    apiVersion: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String()),
    metadata: ObjectMeta,
    spec: ServiceDNSRecordSpec,
    status: Type.Optional(ServiceDNSRecordStatus),
  },
  validations(NAME_RULES.serviceNameFitsTxt, NAME_RULES.probeHostIsAServiceName),
);
export type ServiceDNSRecord = Static<typeof ServiceDNSRecord>;
type ServiceDNSRecordStatus = Static<typeof ServiceDNSRecordStatus>;
export type ClusterServiceDNS = Static<typeof ClusterServiceDNS>;
export type ClusterIngressDNS = Static<typeof ClusterIngressDNS>;

// ---- RouteDNSRecord (mcdns): the names of a Gateway API route, from its parent Gateways ----
const RouteDNSRecordSpec = Type.Object(
  {
    routeRef: RouteRef,
    hosts: Type.Optional(
      Type.Array(Hostname, { maxItems: MAX_HOSTS, description: "names to publish; of the route's spec.hostnames only these (default: all of them)" }),
    ),
    recordTTL: Type.Optional(TTL),
    healthCheck: Type.Optional(HealthCheck),
    strategy: Type.Optional(HostStrategy),
    failoverPriority: Type.Optional(FailoverPriority),
  },
  validations(ROUTE_RULES.hostsOfRoutesWithoutHostnames, NAME_RULES.probeHostAmongListedHosts),
);
/** One member's published addresses, and the Gateways ("namespace/name") they come from. */
export const ClusterRouteDNS = Type.Object({
  cluster: Type.String(),
  loadBalancer: LoadBalancerStatus,
  gateways: Type.Optional(Type.Array(Type.String())),
});
export type ClusterRouteDNS = Static<typeof ClusterRouteDNS>;
export const RouteDNSRecord = kubeObject({
  spec: RouteDNSRecordSpec,
  status: Type.Optional(Type.Object({ ...CommonStatus, dns: Type.Optional(Type.Array(ClusterRouteDNS)) })),
});
export type RouteDNSRecord = Static<typeof RouteDNSRecord>;

// ---- Domain (KubeFed: top-level fields, no spec) ----
export const Domain = kubeObject({
  domain: ZoneName,
  nameServer: Type.Optional(Type.String()),
});
export type Domain = Static<typeof Domain>;

// ---- DNSEndpoint (ExternalDNS's shape; the KubeFed group lacks setIdentifier/providerSpecific) ----
export const Endpoint = Type.Object({
  dnsName: Type.String(),
  targets: Type.Array(Type.String()),
  recordType: Type.String(),
  setIdentifier: Type.Optional(Type.String()),
  recordTTL: Type.Optional(Type.Integer({ format: 'int64' })),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  providerSpecific: Type.Optional(Type.Array(Type.Object({ name: Type.String(), value: Type.String() }))),
});
export type Endpoint = Static<typeof Endpoint>;
const LegacyEndpoint = Type.Omit(Endpoint, ['setIdentifier', 'providerSpecific']);
const DNSEndpointStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64' })),
});
export const DNSEndpoint = kubeObject({
  spec: Type.Object({ endpoints: Type.Optional(Type.Array(Endpoint)) }),
  status: Type.Optional(DNSEndpointStatus),
});
export type DNSEndpoint = Static<typeof DNSEndpoint>;
export const LegacyDNSEndpoint = kubeObject({
  spec: Type.Object({ endpoints: Type.Optional(Type.Array(LegacyEndpoint)) }),
  status: Type.Optional(DNSEndpointStatus),
});

// ---- KubeFedCluster (core.kubefed.io/v1beta1): only the fields mcdns reads ----
export const KUBEFED_CORE_GROUP = 'core.kubefed.io';
export const KubeFedCluster = kubeObject({
  spec: Type.Object({
    apiEndpoint: Type.String({ minLength: 1 }),
    caBundle: Type.Optional(Type.String({ description: 'base64 PEM bundle of the member API server CA' })),
    secretRef: Type.Object({ name: Type.String({ minLength: 1 }) }),
    disabledTLSValidations: Type.Optional(Type.Array(Type.String())),
    proxyURL: Type.Optional(Type.String()),
  }),
  status: Type.Optional(
    Type.Object({
      conditions: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
      zones: Type.Optional(Type.Array(Type.String())),
      region: Type.Optional(Type.String()),
    }),
  ),
});
export type KubeFedCluster = Static<typeof KubeFedCluster>;

// ---- DNSNamePolicy (mcdns, cluster-scoped): which namespaces may publish which names ----
// Admins write it, tenants cannot (cluster-scoped). See docs/name-policy.md.
const labelSelectorFields = {
  matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
  matchExpressions: Type.Optional(
    Type.Array(
      Type.Object({
        key: Type.String({ minLength: 1 }),
        operator: Type.Union([Type.Literal('In'), Type.Literal('NotIn'), Type.Literal('Exists'), Type.Literal('DoesNotExist')]),
        values: Type.Optional(Type.Array(Type.String())),
      }),
    ),
  ),
};
export const LabelSelector = Type.Object(labelSelectorFields);
export type LabelSelector = Static<typeof LabelSelector>;
const AllowedName = Type.Object({
  suffix: Type.String({
    maxLength: 253,
    pattern: `^(${LABEL}\\.)*${LABEL}\\.?$`,
    description: 'a DNS name: it and every name below it may be published (apps.example.org allows apps.example.org and www.apps.example.org)',
  }),
  allowWildcards: Type.Optional(
    Type.Boolean({ description: 'wildcard names (*.x.apps.example.org) below the suffix may be published too (default false)' }),
  ),
});
export const DNSNamePolicy = kubeObject({
  spec: Type.Object({
    namespaceSelector: Type.Object(labelSelectorFields, {
      description: 'the namespaces this policy grants names to; {} selects every namespace (kubernetes.io/metadata.name selects one by name)',
    }),
    allowedNames: Type.Array(AllowedName, { maxItems: 1000, description: 'names the selected namespaces may publish' }),
  }),
});
export type DNSNamePolicy = Static<typeof DNSNamePolicy>;

export type RecordKind = 'IngressDNSRecord' | 'ServiceDNSRecord' | 'RouteDNSRecord';
export type DNSRecord = IngressDNSRecord | ServiceDNSRecord | RouteDNSRecord;
/** Every record kind, in the order the controller lists them. */
export const RECORD_KINDS: readonly RecordKind[] = ['IngressDNSRecord', 'ServiceDNSRecord', 'RouteDNSRecord'];

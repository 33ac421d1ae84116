// Provider selection and configuration: flags (merged by the CLI) over environment variables
// over defaults, secrets read from env vars or mounted files. Nothing here logs; use
// describeProviderConfig() for a log line, it names where a secret came from, never its value.
import { readFileSync } from 'node:fs';
import type { Logger } from 'winston';
import { AzureDnsProvider, azureCredential, parseAzureJson, type AzureAuthConfig } from '../../providers/azure/index.js';
import { CoreDnsEtcdProvider } from '../../providers/coredns-etcd/index.js';
import { PowerDnsProvider } from '../../providers/powerdns/index.js';
import { parseBoolean, parseDuration } from '../parse.js';
import { ownershipConfig, type OwnershipConfig } from '../plan/ownership.js';
import { ProviderSink, type ProviderSinkOptions } from './sink.js';
import { SYNC_POLICIES, type SyncPolicy } from '../plan/records.js';
import type { Provider } from '../../providers/provider.js';

const PROVIDER_NAMES = ['powerdns', 'azure', 'coredns-etcd'] as const;
type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface ProviderConfig {
  provider: ProviderName;
  /** Per-request timeout of the provider's client. */
  timeoutMs?: number;

  /** PowerDNS: API URL (MCDNS_PDNS_SERVER), e.g. http://pdns:8081. */
  pdnsServer?: string;
  /** PowerDNS API key (MCDNS_PDNS_API_KEY) or a file holding it (MCDNS_PDNS_API_KEY_FILE). */
  pdnsApiKey?: string;
  pdnsApiKeyFile?: string;
  /** PowerDNS server id (MCDNS_PDNS_SERVER_ID, default localhost). */
  pdnsServerId?: string;
  /** PEM files for an https API (MCDNS_PDNS_TLS_CA, MCDNS_PDNS_TLS_CLIENT_CERT, MCDNS_PDNS_TLS_CLIENT_CERT_KEY). */
  pdnsTlsCa?: string;
  pdnsTlsClientCert?: string;
  pdnsTlsClientCertKey?: string;

  /** CoreDNS-etcd: etcd URLs (MCDNS_ETCD_ENDPOINTS, comma-separated). */
  etcdEndpoints?: string[];
  /** The etcd plugin's path (MCDNS_COREDNS_PREFIX, default /skydns). */
  corednsPrefix?: string;
  /** Zones the Corefile serves from etcd (MCDNS_COREDNS_ZONES, comma-separated; required). */
  corednsZones?: string[];
  etcdUsername?: string;
  etcdPassword?: string;
  etcdPasswordFile?: string;
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;

  /** Azure: AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP (or from the azure.json file). */
  azureSubscriptionId?: string;
  azureResourceGroup?: string;
  azureTenantId?: string;
  azureClientId?: string;
  azureClientSecret?: string;
  /** A mounted file holding the client secret (AZURE_CLIENT_SECRET_FILE). */
  azureClientSecretFile?: string;
  /** Workload identity token (AZURE_FEDERATED_TOKEN_FILE, set by the AKS webhook). */
  azureFederatedTokenFile?: string;
  /** Use the managed identity (MCDNS_AZURE_MANAGED_IDENTITY=true); with azureClientId a user-assigned one. */
  azureUseManagedIdentity?: boolean;
  /** ExternalDNS's azure.json (MCDNS_AZURE_CONFIG_FILE). */
  azureConfigFile?: string;
  /** ARM endpoint (MCDNS_AZURE_ENDPOINT) for sovereign clouds. */
  azureEndpoint?: string;
  azureAuthorityHost?: string;
  /** Only these zones of the resource group (MCDNS_AZURE_ZONES). */
  azureZones?: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

const list = (v: string | undefined): string[] | undefined =>
  v === undefined || v.trim() === '' ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
const bool = (v: string | undefined, name: string): boolean | undefined => (v === undefined || v === '' ? undefined : parseBoolean(v, name));
const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));

/** Drops undefined fields, so spreading one config over another keeps the other's values. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The provider's settings from environment variables. */
function providerConfigFromEnv(provider: ProviderName, env: Env = process.env): ProviderConfig {
  return {
    provider,
    ...defined({
      // MCDNS_PROVIDER_TIMEOUT is a duration (--provider-timeout); the older _MS form is still read.
      timeoutMs: env['MCDNS_PROVIDER_TIMEOUT'] ? parseDuration(env['MCDNS_PROVIDER_TIMEOUT']) : num(env['MCDNS_PROVIDER_TIMEOUT_MS']),
      pdnsServer: env['MCDNS_PDNS_SERVER'],
      pdnsApiKey: env['MCDNS_PDNS_API_KEY'],
      pdnsApiKeyFile: env['MCDNS_PDNS_API_KEY_FILE'],
      pdnsServerId: env['MCDNS_PDNS_SERVER_ID'],
      pdnsTlsCa: env['MCDNS_PDNS_TLS_CA'],
      pdnsTlsClientCert: env['MCDNS_PDNS_TLS_CLIENT_CERT'],
      pdnsTlsClientCertKey: env['MCDNS_PDNS_TLS_CLIENT_CERT_KEY'],
      etcdEndpoints: list(env['MCDNS_ETCD_ENDPOINTS']),
      corednsPrefix: env['MCDNS_COREDNS_PREFIX'],
      corednsZones: list(env['MCDNS_COREDNS_ZONES']),
      etcdUsername: env['MCDNS_ETCD_USERNAME'],
      etcdPassword: env['MCDNS_ETCD_PASSWORD'],
      etcdPasswordFile: env['MCDNS_ETCD_PASSWORD_FILE'],
      etcdCaFile: env['MCDNS_ETCD_CA_FILE'],
      etcdCertFile: env['MCDNS_ETCD_CERT_FILE'],
      etcdKeyFile: env['MCDNS_ETCD_KEY_FILE'],
      azureSubscriptionId: env['AZURE_SUBSCRIPTION_ID'],
      azureResourceGroup: env['AZURE_RESOURCE_GROUP'],
      azureTenantId: env['AZURE_TENANT_ID'],
      azureClientId: env['AZURE_CLIENT_ID'],
      azureClientSecret: env['AZURE_CLIENT_SECRET'],
      azureClientSecretFile: env['AZURE_CLIENT_SECRET_FILE'],
      azureFederatedTokenFile: env['AZURE_FEDERATED_TOKEN_FILE'],
      azureUseManagedIdentity: bool(env['MCDNS_AZURE_MANAGED_IDENTITY'], 'MCDNS_AZURE_MANAGED_IDENTITY'),
      azureConfigFile: env['MCDNS_AZURE_CONFIG_FILE'],
      azureEndpoint: env['MCDNS_AZURE_ENDPOINT'],
      azureAuthorityHost: env['AZURE_AUTHORITY_HOST'],
      azureZones: list(env['MCDNS_AZURE_ZONES']),
    }),
  };
}

/** Flags (undefined = not given) over environment variables. */
export function providerConfig(provider: string, flags: Partial<ProviderConfig> = {}, env: Env = process.env): ProviderConfig {
  if (!(PROVIDER_NAMES as readonly string[]).includes(provider)) {
    throw new Error(`unknown provider "${provider}" (one of ${PROVIDER_NAMES.join(', ')})`);
  }
  const name = provider as ProviderName;
  return { ...providerConfigFromEnv(name, env), ...defined(flags), provider: name };
}

export interface ConfigDeps {
  readFile?: (path: string) => string;
}

function secret(value: string | undefined, file: string | undefined, readFile: (p: string) => string): string | undefined {
  if (value !== undefined && value !== '') return value;
  if (file) return readFile(file).trim();
  return undefined;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) throw new Error(`${what} is required`);
  return value;
}

/** A CA and/or a client certificate with its key, read from PEM files; a certificate needs its key. */
function tlsFiles(
  ca: string | undefined,
  cert: string | undefined,
  key: string | undefined,
  certFlag: string,
  keyFlag: string,
  readBuf: (p: string) => Buffer,
): { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined {
  if (Boolean(cert) !== Boolean(key)) throw new Error(`${certFlag} and ${keyFlag} go together: give both or neither`);
  if (!ca && !cert) return undefined;
  return { ...(ca ? { ca: readBuf(ca) } : {}), ...(cert && key ? { cert: readBuf(cert), key: readBuf(key) } : {}) };
}

/** Builds the configured Provider. Throws with the missing setting's env var / flag name. */
export function providerFromConfig(cfg: ProviderConfig, deps: ConfigDeps = {}): Provider {
  const readFile = deps.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const timeout = cfg.timeoutMs !== undefined ? { timeoutMs: cfg.timeoutMs } : {};
  const readBuf = (p: string) => Buffer.from(readFile(p), 'utf8');
  switch (cfg.provider) {
    case 'powerdns': {
      const tls = tlsFiles(cfg.pdnsTlsCa, cfg.pdnsTlsClientCert, cfg.pdnsTlsClientCertKey, '--pdns-tls-client-cert', '--pdns-tls-client-cert-key', readBuf);
      return new PowerDnsProvider({
        server: required(cfg.pdnsServer, 'PowerDNS API URL (--pdns-server / MCDNS_PDNS_SERVER)'),
        apiKey: required(secret(cfg.pdnsApiKey, cfg.pdnsApiKeyFile, readFile), 'PowerDNS API key (MCDNS_PDNS_API_KEY or MCDNS_PDNS_API_KEY_FILE)'),
        ...(cfg.pdnsServerId ? { serverId: cfg.pdnsServerId } : {}),
        ...(tls ? { tls } : {}),
        ...timeout,
      });
    }
    case 'coredns-etcd': {
      const password = secret(cfg.etcdPassword, cfg.etcdPasswordFile, readFile);
      const tls = tlsFiles(cfg.etcdCaFile, cfg.etcdCertFile, cfg.etcdKeyFile, '--etcd-cert-file', '--etcd-key-file', readBuf);
      // etcd's client (gRPC) is given the CA explicitly; etcd clusters run on a private CA.
      if (tls && !tls.ca) throw new Error('--etcd-cert-file needs --etcd-ca-file (the CA of the etcd server certificate)');
      return new CoreDnsEtcdProvider({
        endpoints: required(cfg.etcdEndpoints, 'etcd endpoints (--etcd-endpoints / MCDNS_ETCD_ENDPOINTS)'),
        zones: required(cfg.corednsZones, 'CoreDNS zones (--coredns-zones / MCDNS_COREDNS_ZONES)'),
        ...(cfg.corednsPrefix ? { prefix: cfg.corednsPrefix } : {}),
        ...(cfg.etcdUsername ? { username: cfg.etcdUsername, ...(password !== undefined ? { password } : {}) } : {}),
        ...(tls?.ca ? { tls: { ...tls, ca: tls.ca } } : {}),
        ...timeout,
      });
    }
    case 'azure': {
      const file = cfg.azureConfigFile ? parseAzureJson(readFile(cfg.azureConfigFile)) : {};
      const auth: AzureAuthConfig = defined({
        tenantId: cfg.azureTenantId ?? file.tenantId,
        clientId: cfg.azureClientId ?? file.aadClientId ?? file.userAssignedIdentityID,
        clientSecret: secret(cfg.azureClientSecret, cfg.azureClientSecretFile, readFile) ?? (file.aadClientSecret || undefined),
        federatedTokenFile: cfg.azureFederatedTokenFile,
        useManagedIdentity: cfg.azureUseManagedIdentity ?? file.useManagedIdentityExtension,
        useWorkloadIdentity: file.useWorkloadIdentityExtension,
        authorityHost: cfg.azureAuthorityHost,
      });
      return new AzureDnsProvider({
        subscriptionId: required(cfg.azureSubscriptionId ?? file.subscriptionId, 'Azure subscription (AZURE_SUBSCRIPTION_ID)'),
        resourceGroup: required(cfg.azureResourceGroup ?? file.resourceGroup, 'Azure resource group (AZURE_RESOURCE_GROUP)'),
        credential: azureCredential(auth).credential,
        ...(cfg.azureEndpoint ? { endpoint: cfg.azureEndpoint } : {}),
        ...(cfg.azureZones ? { zones: cfg.azureZones } : {}),
        ...timeout,
      });
    }
  }
}

/** One log-safe line: where things point and where secrets come from, never their values. */
export function describeProviderConfig(cfg: ProviderConfig): Record<string, string> {
  const from = (value: string | undefined, file: string | undefined): string => (value ? 'env/flag' : file ? `file ${file}` : 'none');
  switch (cfg.provider) {
    case 'powerdns':
      return { provider: 'powerdns', server: cfg.pdnsServer ?? '', apiKeyFrom: from(cfg.pdnsApiKey, cfg.pdnsApiKeyFile) };
    case 'coredns-etcd':
      return {
        provider: 'coredns-etcd',
        endpoints: (cfg.etcdEndpoints ?? []).join(','),
        zones: (cfg.corednsZones ?? []).join(','),
        prefix: cfg.corednsPrefix ?? '/skydns',
      };
    case 'azure': {
      const kind = cfg.azureClientSecret || cfg.azureClientSecretFile
        ? 'client-secret'
        : cfg.azureFederatedTokenFile
          ? 'workload-identity'
          : cfg.azureUseManagedIdentity
            ? 'managed-identity'
            : cfg.azureConfigFile
              ? `config file ${cfg.azureConfigFile}`
              : 'default chain';
      return { provider: 'azure', subscription: cfg.azureSubscriptionId ?? '', resourceGroup: cfg.azureResourceGroup ?? '', credential: kind };
    }
  }
}

export interface SinkConfig {
  /** --txt-owner-id (MCDNS_TXT_OWNER_ID, default mcdns). */
  ownerId?: string;
  /** --txt-prefix / --txt-suffix (MCDNS_TXT_PREFIX / MCDNS_TXT_SUFFIX), exclusive. */
  txtPrefix?: string;
  txtSuffix?: string;
  /** --txt-wildcard-replacement (MCDNS_TXT_WILDCARD_REPLACEMENT). */
  txtWildcardReplacement?: string;
  /** --policy (MCDNS_POLICY, default sync). */
  policy?: string;
  /** --domain-filter / --exclude-domains (MCDNS_DOMAIN_FILTER / MCDNS_EXCLUDE_DOMAINS), repeatable or comma-separated. */
  domainFilter?: string[];
  excludeDomains?: string[];
  /** --default-ttl (MCDNS_DEFAULT_TTL, default 300) for endpoints without a TTL. */
  defaultTtl?: number;
  /** --provider-batch-window (MCDNS_PROVIDER_BATCH_WINDOW, default 50ms; the flag reads the variable): longest a change waits to share a batch. */
  batchWindowMs?: number;
  /** --provider-drift-interval (MCDNS_PROVIDER_DRIFT_INTERVAL, default 60s): how often zones are re-read to repair drift. */
  driftIntervalMs?: number;
}


export function sinkConfigFromEnv(env: Env = process.env): SinkConfig {
  return defined({
    ownerId: env['MCDNS_TXT_OWNER_ID'],
    txtPrefix: env['MCDNS_TXT_PREFIX'],
    txtSuffix: env['MCDNS_TXT_SUFFIX'],
    txtWildcardReplacement: env['MCDNS_TXT_WILDCARD_REPLACEMENT'],
    policy: env['MCDNS_POLICY'],
    domainFilter: list(env['MCDNS_DOMAIN_FILTER']),
    excludeDomains: list(env['MCDNS_EXCLUDE_DOMAINS']),
    defaultTtl: num(env['MCDNS_DEFAULT_TTL']),
  });
}

export function ownershipFromConfig(cfg: SinkConfig): OwnershipConfig {
  return ownershipConfig(
    defined({ ownerId: cfg.ownerId, txtPrefix: cfg.txtPrefix, txtSuffix: cfg.txtSuffix, wildcardReplacement: cfg.txtWildcardReplacement }),
  );
}

export function policyFromConfig(value: string | undefined): SyncPolicy {
  const policy = value ?? 'sync';
  if (!(SYNC_POLICIES as readonly string[]).includes(policy)) throw new Error(`--policy must be one of ${SYNC_POLICIES.join(', ')} (got "${policy}")`);
  return policy as SyncPolicy;
}

/** Comma-separated and repeated values in one list (commander collects repeats as an array). */
export function splitList(values: string | string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return (Array.isArray(values) ? values : [values]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** Every configured provider and the sink settings they share. */
export interface ProviderSettings {
  providers: ProviderConfig[];
  sink: SinkConfig;
}

/** The configured provider wrapped in a sink, ready for syncRecord / deleteRecord / planRecord. */
export function sinkFromConfig(
  provider: ProviderConfig,
  sink: SinkConfig,
  log?: Logger,
  deps: ConfigDeps = {},
  hooks: Pick<ProviderSinkOptions, 'onCall' | 'onBatch' | 'onZoneRead' | 'beforeWrite' | 'othersWaiting' | 'holder'> = {},
): ProviderSink {
  const domainFilter = defined({ include: sink.domainFilter, exclude: sink.excludeDomains });
  return new ProviderSink({
    provider: providerFromConfig(provider, deps),
    ownership: ownershipFromConfig(sink),
    policy: policyFromConfig(sink.policy),
    ...(Object.keys(domainFilter).length > 0 ? { domainFilter } : {}),
    ...(sink.defaultTtl !== undefined ? { defaultTtl: sink.defaultTtl } : {}),
    ...(sink.batchWindowMs !== undefined ? { batchWindowMs: sink.batchWindowMs } : {}),
    ...(sink.driftIntervalMs !== undefined ? { driftIntervalMs: sink.driftIntervalMs } : {}),
    ...(log ? { log } : {}),
    ...hooks,
  });
}

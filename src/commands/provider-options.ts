// The direct-provider flags shared by `mcdns run`, `mcdns plan` and `mcdns audit`. Flags win
// over environment variables (src/apply/config.ts reads those); secrets come only from
// environment variables or mounted files, never from flags, so they never sit in a process list.
import { Option, type Command } from 'commander';
import { durationOption } from './options.js';
import { providerConfig, sinkConfigFromEnv, splitList, type ProviderConfig, type ProviderSettings, type SinkConfig } from '../apply/config.js';

/** Settings read from the environment only: secrets never go on a command line. */
export const ENV_ONLY: ReadonlyArray<{ env: string[]; meaning: string }> = [
  { env: ['MCDNS_PDNS_API_KEY', 'MCDNS_PDNS_API_KEY_FILE'], meaning: 'PowerDNS API key, or a mounted file holding it' },
  { env: ['MCDNS_ETCD_USERNAME', 'MCDNS_ETCD_PASSWORD', 'MCDNS_ETCD_PASSWORD_FILE'], meaning: 'etcd user and password (or a file holding it)' },
  {
    env: ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_SECRET_FILE'],
    meaning: 'Azure service principal (the secret or a file holding it)',
  },
  { env: ['AZURE_FEDERATED_TOKEN_FILE'], meaning: 'Azure workload identity token (set by the AKS webhook)' },
  { env: ['MCDNS_AZURE_MANAGED_IDENTITY'], meaning: 'true: use the managed identity (with AZURE_CLIENT_ID a user-assigned one)' },
  { env: ['AZURE_AUTHORITY_HOST'], meaning: 'Microsoft Entra authority, for sovereign clouds' },
];

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function addProviderOptions(cmd: Command): Command {
  const envOnly = ENV_ONLY.map((e) => `  ${e.env.join(', ')}\n      ${e.meaning}`).join('\n');
  return cmd
    .addHelpText('after', `\nEnvironment only (secrets are never flags, never logged):\n${envOnly}`)
    .addOption(
      new Option('--provider <name>', 'write DNS directly: powerdns, azure or coredns-etcd (repeatable)').argParser(collect).env('MCDNS_PROVIDER'),
    )
    .addOption(new Option('--txt-owner-id <id>', 'owner id in the TXT ownership records (default: mcdns)').env('MCDNS_TXT_OWNER_ID'))
    .addOption(new Option('--txt-prefix <prefix>', 'prefix of ownership TXT names (exclusive with --txt-suffix)').env('MCDNS_TXT_PREFIX'))
    .addOption(new Option('--txt-suffix <suffix>', 'suffix of the first label of ownership TXT names').env('MCDNS_TXT_SUFFIX'))
    .addOption(
      new Option('--txt-wildcard-replacement <label>', 'stands for "*" in ownership TXT names of wildcard records').env(
        'MCDNS_TXT_WILDCARD_REPLACEMENT',
      ),
    )
    .addOption(new Option('--policy <policy>', 'sync, upsert-only or create-only (default: sync)').env('MCDNS_POLICY'))
    .addOption(new Option('--domain-filter <domain>', 'only manage names under this domain (repeatable)').argParser(collect).env('MCDNS_DOMAIN_FILTER'))
    .addOption(new Option('--exclude-domains <domain>', 'never manage names under this domain (repeatable)').argParser(collect).env('MCDNS_EXCLUDE_DOMAINS'))
    .addOption(new Option('--pdns-server <url>', 'PowerDNS API URL (key: MCDNS_PDNS_API_KEY or MCDNS_PDNS_API_KEY_FILE)').env('MCDNS_PDNS_SERVER'))
    .addOption(new Option('--pdns-server-id <id>', 'PowerDNS server id (default: localhost)').env('MCDNS_PDNS_SERVER_ID'))
    .addOption(new Option('--pdns-tls-ca <path>', 'CA bundle (PEM) that signs the PowerDNS API certificate').env('MCDNS_PDNS_TLS_CA'))
    .addOption(
      new Option('--pdns-tls-client-cert <path>', 'client certificate (PEM) presented to the PowerDNS API').env('MCDNS_PDNS_TLS_CLIENT_CERT'),
    )
    .addOption(
      new Option('--pdns-tls-client-cert-key <path>', 'key (PEM) of --pdns-tls-client-cert').env('MCDNS_PDNS_TLS_CLIENT_CERT_KEY'),
    )
    .addOption(new Option('--etcd-endpoints <urls>', 'etcd URLs for CoreDNS-etcd, comma-separated').env('MCDNS_ETCD_ENDPOINTS'))
    .addOption(new Option('--etcd-ca-file <path>', 'CA bundle (PEM) that signs the etcd server certificate').env('MCDNS_ETCD_CA_FILE'))
    .addOption(new Option('--etcd-cert-file <path>', 'client certificate (PEM) presented to etcd').env('MCDNS_ETCD_CERT_FILE'))
    .addOption(new Option('--etcd-key-file <path>', 'key (PEM) of --etcd-cert-file').env('MCDNS_ETCD_KEY_FILE'))
    .addOption(new Option('--coredns-zones <zones>', 'zones the Corefile serves from etcd, comma-separated').env('MCDNS_COREDNS_ZONES'))
    .addOption(new Option('--coredns-prefix <path>', 'the etcd plugin path (default: /skydns)').env('MCDNS_COREDNS_PREFIX'))
    .addOption(new Option('--azure-subscription-id <id>', 'Azure subscription').env('AZURE_SUBSCRIPTION_ID'))
    .addOption(new Option('--azure-resource-group <rg>', 'Azure resource group of the DNS zones').env('AZURE_RESOURCE_GROUP'))
    .addOption(new Option('--azure-zones <zones>', 'only these Azure DNS zones, comma-separated').env('MCDNS_AZURE_ZONES'))
    .addOption(new Option('--azure-config-file <path>', "ExternalDNS's azure.json").env('MCDNS_AZURE_CONFIG_FILE'))
    .addOption(
      new Option('--azure-endpoint <url>', 'Azure Resource Manager endpoint, for sovereign clouds (default: https://management.azure.com)').env(
        'MCDNS_AZURE_ENDPOINT',
      ),
    )
    .addOption(
      new Option('--provider-timeout <duration>', 'deadline of each provider request (default: 10s, Azure 20s)')
        .argParser(durationOption)
        .env('MCDNS_PROVIDER_TIMEOUT'),
    )
    .addOption(
      new Option('--provider-batch-window <duration>', 'longest a provider change waits to share one batch per zone with others still queued (alone, it goes at once)')
        .default(50, '50ms')
        .argParser(durationOption)
        .env('MCDNS_PROVIDER_BATCH_WINDOW'),
    )
    .addOption(
      new Option('--provider-drift-interval <duration>', 'how often each provider zone is read again to repair drift (0 = never)')
        .default(60_000, '60s')
        .argParser(durationOption)
        .env('MCDNS_PROVIDER_DRIFT_INTERVAL'),
    );
}

/** The provider and sink settings from parsed commander options (flags over env over defaults). */
export function providerSettings(raw: Record<string, unknown>): ProviderSettings {
  const str = (k: string) => (typeof raw[k] === 'string' && raw[k] !== '' ? (raw[k] as string) : undefined);
  const names = splitList(raw.provider as string | string[] | undefined) ?? [];
  const flags: Partial<ProviderConfig> = {
    pdnsServer: str('pdnsServer'),
    pdnsServerId: str('pdnsServerId'),
    pdnsTlsCa: str('pdnsTlsCa'),
    pdnsTlsClientCert: str('pdnsTlsClientCert'),
    pdnsTlsClientCertKey: str('pdnsTlsClientCertKey'),
    etcdEndpoints: splitList(str('etcdEndpoints')),
    etcdCaFile: str('etcdCaFile'),
    etcdCertFile: str('etcdCertFile'),
    etcdKeyFile: str('etcdKeyFile'),
    corednsZones: splitList(str('corednsZones')),
    corednsPrefix: str('corednsPrefix'),
    azureSubscriptionId: str('azureSubscriptionId'),
    azureResourceGroup: str('azureResourceGroup'),
    azureZones: splitList(str('azureZones')),
    azureConfigFile: str('azureConfigFile'),
    azureEndpoint: str('azureEndpoint'),
    timeoutMs: typeof raw.providerTimeout === 'number' ? raw.providerTimeout : undefined,
  };
  const sink: SinkConfig = { ...sinkConfigFromEnv() };
  const set = <K extends keyof SinkConfig>(k: K, v: SinkConfig[K] | undefined) => {
    if (v !== undefined) sink[k] = v;
  };
  set('ownerId', str('txtOwnerId'));
  set('txtPrefix', str('txtPrefix'));
  set('txtSuffix', str('txtSuffix'));
  set('txtWildcardReplacement', str('txtWildcardReplacement'));
  set('policy', str('policy'));
  set('domainFilter', splitList(raw.domainFilter as string | string[] | undefined));
  set('excludeDomains', splitList(raw.excludeDomains as string | string[] | undefined));
  set('batchWindowMs', typeof raw.providerBatchWindow === 'number' ? raw.providerBatchWindow : undefined);
  set('driftIntervalMs', typeof raw.providerDriftInterval === 'number' ? raw.providerDriftInterval : undefined);
  return { providers: [...new Set(names)].map((n) => providerConfig(n, flags)), sink };
}

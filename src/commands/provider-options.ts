// The direct-provider flags shared by `mcdns run`, `mcdns plan` and `mcdns audit`. Flags win
// over environment variables (src/apply/config.ts reads those); secrets come only from
// environment variables or mounted files, never from flags, so they never sit in a process list.
import { Option, type Command } from 'commander';
import { durationMs, providerConfig, sinkConfigFromEnv, splitList, type ProviderConfig, type ProviderSettings, type SinkConfig } from '../apply/config.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function addProviderOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--provider <name>', 'write DNS directly: powerdns, azure or coredns-etcd (repeatable)').argParser(collect).env('MCDNS_PROVIDER'),
    )
    .addOption(new Option('--txt-owner-id <id>', 'owner id in the TXT ownership records (default mcdns)').env('MCDNS_TXT_OWNER_ID'))
    .addOption(new Option('--txt-prefix <prefix>', 'prefix of ownership TXT names (exclusive with --txt-suffix)').env('MCDNS_TXT_PREFIX'))
    .addOption(new Option('--txt-suffix <suffix>', 'suffix of the first label of ownership TXT names').env('MCDNS_TXT_SUFFIX'))
    .addOption(new Option('--policy <policy>', 'sync, upsert-only or create-only (default sync)').env('MCDNS_POLICY'))
    .addOption(new Option('--domain-filter <domain>', 'only manage names under this domain (repeatable)').argParser(collect).env('MCDNS_DOMAIN_FILTER'))
    .addOption(new Option('--exclude-domains <domain>', 'never manage names under this domain (repeatable)').argParser(collect).env('MCDNS_EXCLUDE_DOMAINS'))
    .addOption(new Option('--pdns-server <url>', 'PowerDNS API URL (key: MCDNS_PDNS_API_KEY or MCDNS_PDNS_API_KEY_FILE)').env('MCDNS_PDNS_SERVER'))
    .addOption(new Option('--pdns-server-id <id>', 'PowerDNS server id (default localhost)').env('MCDNS_PDNS_SERVER_ID'))
    .addOption(new Option('--etcd-endpoints <urls>', 'etcd URLs for CoreDNS-etcd, comma-separated').env('MCDNS_ETCD_ENDPOINTS'))
    .addOption(new Option('--coredns-zones <zones>', 'zones the Corefile serves from etcd, comma-separated').env('MCDNS_COREDNS_ZONES'))
    .addOption(new Option('--coredns-prefix <path>', 'the etcd plugin path (default /skydns)').env('MCDNS_COREDNS_PREFIX'))
    .addOption(new Option('--azure-subscription-id <id>', 'Azure subscription').env('AZURE_SUBSCRIPTION_ID'))
    .addOption(new Option('--azure-resource-group <rg>', 'Azure resource group of the DNS zones').env('AZURE_RESOURCE_GROUP'))
    .addOption(new Option('--azure-zones <zones>', 'only these Azure DNS zones, comma-separated').env('MCDNS_AZURE_ZONES'))
    .addOption(new Option('--azure-config-file <path>', "ExternalDNS's azure.json").env('MCDNS_AZURE_CONFIG_FILE'))
    .addOption(
      new Option('--provider-batch-window <duration>', 'longest a provider change waits to share one batch per zone with others')
        .default(50, '50ms')
        .argParser(durationMs)
        .env('MCDNS_PROVIDER_BATCH_WINDOW'),
    )
    .addOption(
      new Option('--provider-drift-interval <duration>', 'how often each provider zone is read again to repair drift (0 = never)')
        .default(60_000, '60s')
        .argParser(durationMs)
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
    etcdEndpoints: splitList(str('etcdEndpoints')),
    corednsZones: splitList(str('corednsZones')),
    corednsPrefix: str('corednsPrefix'),
    azureSubscriptionId: str('azureSubscriptionId'),
    azureResourceGroup: str('azureResourceGroup'),
    azureZones: splitList(str('azureZones')),
    azureConfigFile: str('azureConfigFile'),
  };
  const sink: SinkConfig = { ...sinkConfigFromEnv() };
  const set = <K extends keyof SinkConfig>(k: K, v: SinkConfig[K] | undefined) => {
    if (v !== undefined) sink[k] = v;
  };
  set('ownerId', str('txtOwnerId'));
  set('txtPrefix', str('txtPrefix'));
  set('txtSuffix', str('txtSuffix'));
  set('policy', str('policy'));
  set('domainFilter', splitList(raw.domainFilter as string | string[] | undefined));
  set('excludeDomains', splitList(raw.excludeDomains as string | string[] | undefined));
  set('batchWindowMs', typeof raw.providerBatchWindow === 'number' ? raw.providerBatchWindow : undefined);
  set('driftIntervalMs', typeof raw.providerDriftInterval === 'number' ? raw.providerDriftInterval : undefined);
  return { providers: [...new Set(names)].map((n) => providerConfig(n, flags)), sink };
}

import { expect } from 'chai';
import {
  describeProviderConfig,
  policyFromConfig,
  providerConfig,
  providerFromConfig,
  sinkConfigFromEnv,
  ownershipFromConfig,
  splitList,
} from '../../../src/apply/config.js';

describe('providers/config: flags over env vars, secrets from files', () => {
  const files: Record<string, string> = { '/secrets/pdns-key': 'key-from-file\n', '/secrets/azure.json': '{"tenantId":"t","subscriptionId":"s-json","resourceGroup":"rg-json","aadClientId":"c","aadClientSecret":"x"}' };
  const readFile = (p: string): string => {
    const v = files[p];
    if (v === undefined) throw new Error(`ENOENT ${p}`);
    return v;
  };

  it('builds PowerDNS from env vars, the key from a mounted file', () => {
    const cfg = providerConfig('powerdns', {}, { MCDNS_PDNS_SERVER: 'http://127.0.0.1:8081', MCDNS_PDNS_API_KEY_FILE: '/secrets/pdns-key' });
    const p = providerFromConfig(cfg, { readFile });
    expect(p.name).to.equal('powerdns');
    expect((p as unknown as { http: { defaults: { headers: Record<string, unknown> } } }).http.defaults.headers['X-API-Key']).to.equal('key-from-file');
  });

  it('reads --provider-timeout as a duration (MCDNS_PROVIDER_TIMEOUT), the older MCDNS_PROVIDER_TIMEOUT_MS as milliseconds', () => {
    expect(providerConfig('powerdns', {}, { MCDNS_PROVIDER_TIMEOUT: '1m' }).timeoutMs).to.equal(60_000);
    expect(providerConfig('powerdns', {}, { MCDNS_PROVIDER_TIMEOUT_MS: '2500' }).timeoutMs).to.equal(2500);
  });

  it('refuses a boolean env var that is not true/false/1/0', () => {
    expect(providerConfig('azure', {}, { MCDNS_AZURE_MANAGED_IDENTITY: 'false' }).azureUseManagedIdentity).to.equal(false);
    expect(() => providerConfig('azure', {}, { MCDNS_AZURE_MANAGED_IDENTITY: 'yes' })).to.throw('MCDNS_AZURE_MANAGED_IDENTITY="yes" is not a boolean');
  });

  it('wants a TLS client certificate and its key together, and etcd\'s CA with them', () => {
    const pdns = providerConfig('powerdns', { pdnsTlsClientCert: '/tls/crt' }, { MCDNS_PDNS_SERVER: 'https://pdns', MCDNS_PDNS_API_KEY: 'k' });
    expect(() => providerFromConfig(pdns, { readFile })).to.throw('--pdns-tls-client-cert and --pdns-tls-client-cert-key go together');
    const etcd = providerConfig('coredns-etcd', { etcdCertFile: '/tls/crt', etcdKeyFile: '/tls/key' }, { MCDNS_ETCD_ENDPOINTS: 'https://etcd:2379', MCDNS_COREDNS_ZONES: 'example.org' });
    expect(() => providerFromConfig(etcd, { readFile: () => 'pem' })).to.throw('--etcd-cert-file needs --etcd-ca-file');
  });

  it('lets a flag win over the env var', () => {
    const cfg = providerConfig('powerdns', { pdnsServer: 'http://127.0.0.2:8081' }, { MCDNS_PDNS_SERVER: 'http://127.0.0.1:8081' });
    expect(cfg.pdnsServer).to.equal('http://127.0.0.2:8081');
  });

  it('names the env var of a missing setting', () => {
    expect(() => providerFromConfig(providerConfig('powerdns', {}, {}))).to.throw(/MCDNS_PDNS_SERVER/);
    expect(() => providerFromConfig(providerConfig('coredns-etcd', {}, { MCDNS_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' }))).to.throw(/MCDNS_COREDNS_ZONES/);
    expect(() => providerFromConfig(providerConfig('azure', {}, {}))).to.throw(/AZURE_SUBSCRIPTION_ID/);
    expect(() => providerConfig('route53', {}, {})).to.throw(/unknown provider "route53"/);
  });

  it('reads Azure settings from ExternalDNS\'s azure.json', () => {
    const p = providerFromConfig(providerConfig('azure', {}, { MCDNS_AZURE_CONFIG_FILE: '/secrets/azure.json' }), { readFile });
    expect(p.name).to.equal('azure');
  });

  it('describes a configuration for a log line without any secret value', () => {
    const cfg = providerConfig('powerdns', {}, { MCDNS_PDNS_SERVER: 'http://127.0.0.1:8081', MCDNS_PDNS_API_KEY: 'super-secret-key' });
    const text = JSON.stringify(describeProviderConfig(cfg));
    expect(text).to.not.include('super-secret-key');
    expect(text).to.include('env/flag');
    const az = providerConfig('azure', {}, { AZURE_SUBSCRIPTION_ID: 's', AZURE_RESOURCE_GROUP: 'rg', AZURE_CLIENT_SECRET: 'az-secret' });
    expect(JSON.stringify(describeProviderConfig(az))).to.not.include('az-secret');
    expect(describeProviderConfig(az)['credential']).to.equal('client-secret');
  });

  it('reads ownership, policy and filters from env vars', () => {
    const s = sinkConfigFromEnv({ MCDNS_TXT_OWNER_ID: 'cluster-a', MCDNS_TXT_PREFIX: 'own-', MCDNS_POLICY: 'upsert-only', MCDNS_DOMAIN_FILTER: 'example.org, example.net' });
    expect(ownershipFromConfig(s)).to.deep.equal({ ownerId: 'cluster-a', txtPrefix: 'own-' });
    expect(policyFromConfig(s.policy)).to.equal('upsert-only');
    expect(s.domainFilter).to.deep.equal(['example.org', 'example.net']);
    expect(() => policyFromConfig('delete-all')).to.throw(/--policy must be one of sync, upsert-only, create-only/);
    expect(splitList(['a.org,b.org', 'c.org'])).to.deep.equal(['a.org', 'b.org', 'c.org']);
  });
});

// Which Azure identity mcdns uses, from configuration: a service principal (client secret from
// an env var or a mounted secret file), workload identity (federated token file, as the AKS
// webhook injects it), managed identity, or DefaultAzureCredential's own chain. ExternalDNS's
// azure.json (tenantId, aadClientId, aadClientSecret, useManagedIdentityExtension,
// userAssignedIdentityID, useWorkloadIdentityExtension) is read too, so an existing Secret works.
import type { TokenCredential } from '@azure/identity';
import { sdk } from '../sdk.js';

export interface AzureAuthConfig {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  federatedTokenFile?: string;
  useManagedIdentity?: boolean;
  useWorkloadIdentity?: boolean;
  /** Entra authority for sovereign clouds (AZURE_AUTHORITY_HOST). */
  authorityHost?: string;
}

export type AzureCredentialKind = 'client-secret' | 'workload-identity' | 'managed-identity' | 'default';

export function azureCredential(cfg: AzureAuthConfig): { credential: TokenCredential; kind: AzureCredentialKind } {
  const authority = cfg.authorityHost ? { authorityHost: cfg.authorityHost } : {};
  const { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential, WorkloadIdentityCredential } =
    sdk<typeof import('@azure/identity')>('@azure/identity');
  if (cfg.clientSecret) {
    if (!cfg.tenantId || !cfg.clientId) throw new Error('azure: a client secret needs AZURE_TENANT_ID and AZURE_CLIENT_ID');
    return { credential: new ClientSecretCredential(cfg.tenantId, cfg.clientId, cfg.clientSecret, authority), kind: 'client-secret' };
  }
  if (cfg.federatedTokenFile || cfg.useWorkloadIdentity) {
    return {
      credential: new WorkloadIdentityCredential({
        ...authority,
        ...(cfg.tenantId ? { tenantId: cfg.tenantId } : {}),
        ...(cfg.clientId ? { clientId: cfg.clientId } : {}),
        ...(cfg.federatedTokenFile ? { tokenFilePath: cfg.federatedTokenFile } : {}),
      }),
      kind: 'workload-identity',
    };
  }
  if (cfg.useManagedIdentity) {
    return {
      credential: cfg.clientId ? new ManagedIdentityCredential({ clientId: cfg.clientId }) : new ManagedIdentityCredential(),
      kind: 'managed-identity',
    };
  }
  return { credential: new DefaultAzureCredential(authority), kind: 'default' };
}

/** ExternalDNS's azure.json (the fields mcdns uses). */
export interface AzureJson {
  tenantId?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  aadClientId?: string;
  aadClientSecret?: string;
  useManagedIdentityExtension?: boolean;
  userAssignedIdentityID?: string;
  useWorkloadIdentityExtension?: boolean;
}

export function parseAzureJson(text: string): AzureJson {
  const v: unknown = JSON.parse(text);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('azure config file: not a JSON object');
  return v as AzureJson;
}

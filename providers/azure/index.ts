export { AzureDnsProvider, azureMaxTargets, AZURE_PUBLIC_CLOUD, type AzureDnsOptions } from './provider.js';
export { azureCredential, parseAzureJson, type AzureAuthConfig, type AzureCredentialKind, type AzureJson } from './credentials.js';

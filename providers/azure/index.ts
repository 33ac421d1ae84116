export { AzureDnsProvider } from './provider.js';
export { azureCredential, parseAzureJson, type AzureAuthConfig } from './credentials.js';

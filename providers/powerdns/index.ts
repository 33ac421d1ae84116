export { PowerDnsProvider } from './provider.js';

export { PowerDnsProvider, type PowerDnsOptions } from './provider.js';

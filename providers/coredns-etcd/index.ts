export { CoreDnsEtcdProvider, type CoreDnsEtcdOptions } from './provider.js';

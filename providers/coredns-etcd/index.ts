export { CoreDnsEtcdProvider } from './provider.js';

// Real-component test environment: see bed.ts for the composite, one file per component.
export * from './apiserver.js';
export * from './bed.js';
export * from './coredns.js';
export * from './dns.js';
export * from './etcd.js';
export * from './externaldns.js';
export * from './gateway-api.js';
export * from './helm.js';
export * from './kube.js';
export * from './ports.js';
export * from './powerdns.js';
export * from './process.js';
export * from './promql.js';
export * from './tools.js';
export * from './unbound.js';

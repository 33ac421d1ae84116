// Provider SDKs are loaded when a provider of their kind is built, not when mcdns starts: the
// Azure SDKs and etcd's gRPC client weigh about 100 MiB of resident memory, which a controller
// that writes only to PowerDNS (or only DNSEndpoints) should not carry.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** The named package, loaded on first use (Node caches it afterwards). */
export function sdk<T>(name: string): T {
  return load(name) as T;
}

// The SkyDNS layout in etcd, as CoreDNS's etcd plugin serves it and ExternalDNS's coredns
// provider writes it. Pure: keys, names and values.
//
//   key   <prefix>/<labels of the name, reversed>/<id>   e.g. /skydns/org/example/www/3f31b771
//   value {"host": "192.0.2.1", "ttl": 60, "targetstrip": 1}        one key per target
//         {"text": "\"heritage=external-dns,...\"", "ttl": 60, "targetstrip": 1}   a TXT
//
// `targetstrip` says how many leading labels of the key are an id rather than part of the name
// (ExternalDNS reads names that way). A key may carry both host and text (an A and a TXT of the
// same name); the record type of a host is what CoreDNS infers: IPv4 → A, IPv6 → AAAA, else
// CNAME. mcdns writes one aspect per key and a deterministic id (hash of type and target), so
// writing the same record twice gives the same keys.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { normaliseTarget } from '../../src/plan/names.js';
import { normaliseName } from '../../src/core/names.js';

/** The JSON of one SkyDNS entry; unknown fields are kept when mcdns rewrites a key. */
export interface SkyDnsValue {
  host?: string;
  text?: string;
  ttl?: number;
  targetstrip?: number;
  group?: string;
  [field: string]: unknown;
}

export interface SkyDnsEntry {
  key: string;
  name: string;
  value: SkyDnsValue;
  modRevision: string;
}

export function normalisePrefix(prefix: string): string {
  const withLead = prefix.startsWith('/') ? prefix : `/${prefix}`;
  return withLead.endsWith('/') ? withLead : `${withLead}/`;
}

/** The key path of a DNS name (no id): /skydns/org/example/www */
export function keyForName(prefix: string, name: string): string {
  const labels = normaliseName(name).split('.').filter((l) => l !== '');
  return `${normalisePrefix(prefix)}${labels.reverse().join('/')}`;
}

/** The DNS name an entry stands for, or undefined when the key is not under the prefix. */
export function nameForKey(prefix: string, key: string, targetstrip = 0): string | undefined {
  const p = normalisePrefix(prefix);
  if (!key.startsWith(p)) return undefined;
  const labels = key.slice(p.length).split('/').filter((l) => l !== '').reverse();
  const kept = labels.slice(Math.max(0, Math.min(targetstrip, labels.length)));
  return kept.length > 0 ? kept.join('.').toLowerCase() : undefined;
}

/** Parses an etcd value; undefined for anything that is not a JSON object. */
export function parseValue(raw: string): SkyDnsValue | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as SkyDnsValue) : undefined;
  } catch {
    return undefined;
  }
}

/** The record type CoreDNS answers for a host: A, AAAA or CNAME. */
export function hostType(host: string): 'A' | 'AAAA' | 'CNAME' {
  const family = isIP(host.trim());
  return family === 4 ? 'A' : family === 6 ? 'AAAA' : 'CNAME';
}

/** Deterministic 8-hex id for one target of one record type. */
export function entryId(type: string, target: string): string {
  return createHash('sha256').update(`${type} ${normaliseTarget(type, target)}`).digest('hex').slice(0, 8);
}

/** The aspect of an entry that belongs to record type `type`: its host (A/AAAA/CNAME) or its text. */
export function carries(value: SkyDnsValue, type: string): boolean {
  if (type === 'TXT') return typeof value.text === 'string' && value.text !== '';
  return typeof value.host === 'string' && value.host !== '' && hostType(value.host) === type;
}

/** The entry without the aspect of `type`; undefined when nothing else is left in it. */
export function without(value: SkyDnsValue, type: string): SkyDnsValue | undefined {
  const next: SkyDnsValue = { ...value };
  if (type === 'TXT') delete next.text;
  else delete next.host;
  const hasHost = typeof next.host === 'string' && next.host !== '';
  const hasText = typeof next.text === 'string' && next.text !== '';
  return hasHost || hasText ? next : undefined;
}

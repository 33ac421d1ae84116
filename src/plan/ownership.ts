// TXT ownership in ExternalDNS's registry format, so mcdns and ExternalDNS instances with other
// owner ids can share a zone and each recognise what the other owns. Pure: names and contents.
//
// Facts from ExternalDNS's TXT registry (registry/txt, registry/mapper, endpoint/labels.go):
//   - content: `"heritage=external-dns,external-dns/<key>=<value>,..."`, keys sorted, quotes
//     included in the target string; mcdns writes the keys owner and resource;
//   - name: the name is split at its first dot; the lower-case type and "-" go before the first
//     label, then the prefix before it or the suffix after it (exclusive):
//     A www.example.org → a-www.example.org; --txt-prefix=p- → p-a-www.example.org;
//     --txt-suffix=-s → a-www-s.example.org. A prefix or suffix containing %{record_type} carries
//     the type itself and no "<type>-" is added: --txt-prefix=%{record_type}. gives
//     a.www.example.org (and a.example.org for the apex, the only in-zone form for an apex);
//   - a wildcard first label `*` is replaced by --txt-wildcard-replacement when given
//     (otherwise a-*.example.org, which most providers reject);
//   - ExternalDNS (v0.16+) writes only this format. It still READS the old format (the TXT at
//     the affixed name without the type, e.g. www.example.org itself) for every type but AAAA;
//     mcdns reads it the same way and never writes it.
import { normaliseName } from '../core/names.js';
import { RECORD_KINDS, type RecordKind } from '../api/schema.js';
import { keyOf } from '../core/record-key.js';

const HERITAGE = 'external-dns';
const TYPE_TEMPLATE = '%{record_type}';

/** Record types ExternalDNS encodes in a TXT name; others are not recognised when reading back. */
const TXT_NAME_TYPES = ['A', 'AAAA', 'CNAME', 'NS', 'MX', 'PTR', 'SRV', 'NAPTR', 'TXT', 'DNAME'] as const;

export interface OwnershipConfig {
  /** --txt-owner-id: whose records these are (default mcdns). */
  ownerId: string;
  /** --txt-prefix (exclusive with txtSuffix). */
  txtPrefix?: string;
  /** --txt-suffix (exclusive with txtPrefix). */
  txtSuffix?: string;
  /** --txt-wildcard-replacement: stands for `*` in TXT names of wildcard records. */
  wildcardReplacement?: string;
}

const DEFAULT_OWNER_ID = 'mcdns';

/** Checks and lower-cases an ownership configuration; throws with the flag name on a mistake. */
export function ownershipConfig(input: Partial<OwnershipConfig> = {}): OwnershipConfig {
  const ownerId = (input.ownerId ?? DEFAULT_OWNER_ID).trim();
  if (ownerId === '') throw new Error('--txt-owner-id must not be empty');
  if (/[,="\s]/.test(ownerId)) throw new Error(`--txt-owner-id "${ownerId}" must not contain ',', '=', '"' or blanks`);
  const txtPrefix = (input.txtPrefix ?? '').toLowerCase();
  const txtSuffix = (input.txtSuffix ?? '').toLowerCase();
  if (txtPrefix !== '' && txtSuffix !== '') throw new Error('--txt-prefix and --txt-suffix are mutually exclusive');
  const wildcardReplacement = (input.wildcardReplacement ?? '').toLowerCase();
  return {
    ownerId,
    ...(txtPrefix ? { txtPrefix } : {}),
    ...(txtSuffix ? { txtSuffix } : {}),
    ...(wildcardReplacement ? { wildcardReplacement } : {}),
  };
}

/** The resource label mcdns writes: `<kind, lower case>/<ns>/<name>`, e.g. `ingressdnsrecord/shop/web`. */
export function resourceId(kind: RecordKind, namespace: string, name: string): string {
  return keyOf({ kind: kind.toLowerCase(), namespace, name });
}

/** The record a resource label names, or undefined for a label mcdns does not write. */
export function parseResourceId(resource: string): { kind: RecordKind; namespace: string; name: string } | undefined {
  const [kind, namespace, name, ...rest] = resource.split('/');
  if (rest.length > 0 || !namespace || !name) return undefined;
  const recordKind = RECORD_KINDS.find((k) => k.toLowerCase() === kind);
  return recordKind ? { kind: recordKind, namespace, name } : undefined;
}

/** Ownership labels (keys without the `external-dns/` prefix). */
export type OwnerLabels = Readonly<Record<string, string>>;

/** The TXT target string ExternalDNS writes for these labels: quoted, heritage first, keys sorted. */
export function formatOwnership(labels: OwnerLabels): string {
  const tokens = [`heritage=${HERITAGE}`, ...Object.keys(labels).sort().map((k) => `${HERITAGE}/${k}=${labels[k]}`)];
  return `"${tokens.join(',')}"`;
}

/** The labels of an ownership TXT, or undefined when the text is no ExternalDNS registry entry. */
export function parseOwnership(text: string): OwnerLabels | undefined {
  const body = text.replace(/^"+|"+$/g, '');
  const labels: Record<string, string> = {};
  let heritage = false;
  for (const token of body.split(',')) {
    const parts = token.split('=');
    if (parts.length !== 2) continue;
    const [key = '', value = ''] = parts;
    if (key === 'heritage') {
      if (value !== HERITAGE) return undefined;
      heritage = true;
    } else if (key.startsWith(`${HERITAGE}/`)) {
      labels[key.slice(HERITAGE.length + 1)] = value;
    }
  }
  return heritage ? labels : undefined;
}

function splitFirstLabel(name: string): [string, string | undefined] {
  const dot = name.indexOf('.');
  return dot < 0 ? [name, undefined] : [name.slice(0, dot), name.slice(dot + 1)];
}

function typeInAffix(cfg: OwnershipConfig): boolean {
  return (cfg.txtPrefix ?? '').includes(TYPE_TEMPLATE) || (cfg.txtSuffix ?? '').includes(TYPE_TEMPLATE);
}

/** The affixed TXT name; `type` undefined gives the old (pre-v0.12) format without the type. */
function affixedName(name: string, type: string | undefined, cfg: OwnershipConfig): string {
  const t = type?.toLowerCase() ?? '';
  const fill = (affix: string | undefined): string => (!affix ? '' : affix.includes(TYPE_TEMPLATE) ? affix.split(TYPE_TEMPLATE).join(t) : affix);
  let [host, rest] = splitFirstLabel(normaliseName(name));
  if (cfg.wildcardReplacement && host === '*') host = cfg.wildcardReplacement;
  if (type !== undefined && !typeInAffix(cfg)) host = `${t}-${host}`;
  const first = `${fill(cfg.txtPrefix)}${host}${fill(cfg.txtSuffix)}`;
  return rest === undefined ? first : `${first}.${rest}`;
}

/** Name of the ownership TXT ExternalDNS (and mcdns) writes for record `name`/`type`. */
export function txtNameFor(name: string, type: string, cfg: OwnershipConfig): string {
  return affixedName(name, type, cfg);
}

/** The record types mcdns publishes (core/targets.ts): the types of the ownership TXT names a name claims. */
const PUBLISHED_TYPES = ['A', 'AAAA', 'CNAME'] as const;

/**
 * The ownership TXT names `name` can have when mcdns publishes it: one per record type mcdns
 * writes. A record claims these with its name, so no one else can take them (claims index).
 */
export function ownershipTxtNames(name: string, cfg: OwnershipConfig): string[] {
  return PUBLISHED_TYPES.map((type) => txtNameFor(name, type, cfg));
}

/** Name of the old-format ownership TXT (no type), which only ever is read. */
export function oldFormatTxtNameFor(name: string, cfg: OwnershipConfig): string {
  return affixedName(name, undefined, cfg);
}

/** Old-format TXTs never covered AAAA records (ExternalDNS reads them for every other type). */
export function oldFormatCovers(type: string): boolean {
  return type !== 'AAAA';
}

/**
 * The record a TXT name stands for (the inverse of txtNameFor), for messages and the audit:
 * `{ name, type }`, type undefined for an old-format name, or undefined when the name does not
 * carry the prefix/suffix.
 */
export function recordForTxtName(txtName: string, cfg: OwnershipConfig): { name: string; type?: string } | undefined {
  const lower = normaliseName(txtName);
  const prefix = cfg.txtPrefix ?? '';
  const suffix = cfg.txtSuffix ?? '';
  if (suffix === '') {
    const stripped = stripAffix(lower, prefix, 'prefix');
    return stripped;
  }
  // The suffix sits at the end of the first label (plus as many labels as it has dots).
  const extra = suffix.split('.').length - 1;
  const labels = lower.split('.');
  if (labels.length <= extra) return undefined;
  const head = labels.slice(0, extra + 1).join('.');
  const rest = labels.slice(extra + 1).join('.');
  const stripped = stripAffix(head, suffix, 'suffix');
  if (stripped === undefined) return undefined;
  return { ...stripped, name: rest === '' ? stripped.name : `${stripped.name}.${rest}` };
}

/**
 * Every record name whose ownership TXT (new or old format) can sit at `txtName`: the name
 * recordForTxtName gives, and the name with only the prefix/suffix removed (an old-format TXT of
 * a record whose first label happens to start with a type, e.g. a-b.example.org).
 */
export function recordNamesForTxtName(txtName: string, cfg: OwnershipConfig): string[] {
  const names = new Set<string>();
  const typed = recordForTxtName(txtName, cfg);
  if (typed) names.add(typed.name);
  const untyped = withoutAffix(txtName, cfg);
  if (untyped !== undefined) names.add(untyped);
  return [...names];
}

/** The TXT name with only the prefix/suffix removed (no type parsed): the old-format inverse. */
function withoutAffix(txtName: string, cfg: OwnershipConfig): string | undefined {
  const lower = normaliseName(txtName);
  const prefix = (cfg.txtPrefix ?? '').split(TYPE_TEMPLATE).join('');
  const suffix = (cfg.txtSuffix ?? '').split(TYPE_TEMPLATE).join('');
  if (suffix === '') return lower.startsWith(prefix) ? lower.slice(prefix.length) : undefined;
  const extra = suffix.split('.').length - 1;
  const labels = lower.split('.');
  if (labels.length <= extra) return undefined;
  const head = labels.slice(0, extra + 1).join('.');
  const rest = labels.slice(extra + 1).join('.');
  if (!head.endsWith(suffix)) return undefined;
  const first = head.slice(0, head.length - suffix.length);
  return rest === '' ? first : `${first}.${rest}`;
}

function stripAffix(value: string, affix: string, where: 'prefix' | 'suffix'): { name: string; type?: string } | undefined {
  const has = (a: string): boolean => (where === 'prefix' ? value.startsWith(a) : value.endsWith(a));
  const cut = (a: string): string => (where === 'prefix' ? value.slice(a.length) : value.slice(0, value.length - a.length));
  if (affix.includes(TYPE_TEMPLATE)) {
    for (const type of TXT_NAME_TYPES) {
      const filled = affix.split(TYPE_TEMPLATE).join(type.toLowerCase());
      if (has(filled)) return { name: cut(filled), type };
    }
    affix = affix.split(TYPE_TEMPLATE).join('');
  }
  if (!has(affix)) return undefined;
  return typeFromFirstLabel(cut(affix));
}

function typeFromFirstLabel(name: string): { name: string; type?: string } {
  const dash = name.indexOf('-');
  const head = dash < 0 ? name : name.slice(0, dash);
  const type = TXT_NAME_TYPES.find((t) => t.toLowerCase() === head);
  return type === undefined || dash < 0 ? { name } : { name: name.slice(dash + 1), type };
}

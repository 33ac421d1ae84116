// The CEL rules of the CRDs (x-kubernetes-validations), each with its JavaScript twin, and the
// name limits they enforce. schema.ts puts them on the kinds; validate.ts runs the twins.
//
// A name is published with an ownership TXT record beside it, named after ExternalDNS's
// registry: "<type>-<first label>.<rest>" (a-www.example.org, cname-www.example.org; see
// src/plan/ownership.ts). With the default (empty) --txt-prefix, the longest type prefix
// is "cname-" (6 characters), so a name whose TXT must also be a DNS name has a first label of
// at most 63 - 6 = 57 characters and at most 253 - 6 = 247 in all. A longer one would be
// refused by every provider, again and again; the API server refuses it up front instead.
// A configured --txt-prefix lowers these limits further; the provider then refuses such a TXT.
const TXT_TYPE_PREFIX_MAX = 'cname-'.length;
export const MAX_FIRST_LABEL = 63 - TXT_TYPE_PREFIX_MAX;
export const MAX_NAME = 253 - TXT_TYPE_PREFIX_MAX;

/**
 * A CEL rule the API server enforces (x-kubernetes-validations) and the same rule in JavaScript
 * for `mcdns validate` and the controller: validate.ts refuses to compile a schema that carries
 * a CEL rule without its twin here, and an end-to-end test checks both give the same verdicts.
 */
export interface NameRule {
  rule: string;
  message: string;
  test: (value: unknown) => boolean;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const NAME_RULES = {
  notAnAddress: {
    // RFC 3696 §2: a top-level label is never all digits, so 192.0.2.1 is an address, not a name.
    rule: "!self.matches('(^|[.])[0-9]+[.]?$')",
    message: 'must be a host name, not an IP address (its last label is all digits)',
    test: (v) => !/(^|[.])[0-9]+[.]?$/.test(str(v)),
  },
  firstLabelFitsTxt: {
    rule: `!self.matches('^[^.]{${MAX_FIRST_LABEL + 1},}')`,
    message: `the first label may have at most ${MAX_FIRST_LABEL} characters, so that its ownership TXT record "cname-<label>" fits in 63`,
    test: (v) => !new RegExp(`^[^.]{${MAX_FIRST_LABEL + 1},}`).test(str(v)),
  },
  serviceNameFitsTxt: {
    // Without externalName, the Service's (and record's) own name is the first label.
    rule: `has(self.spec.externalName) || size(self.metadata.name) <= ${MAX_FIRST_LABEL}`,
    message: `without spec.externalName the record's name is the first label of its DNS names: at most ${MAX_FIRST_LABEL} characters, so that its ownership TXT record fits in 63 (set a shorter externalName)`,
    test: (v) => {
      const o = v as { spec?: { externalName?: unknown }; metadata?: { name?: unknown } };
      return o.spec?.externalName !== undefined || str(o.metadata?.name).length <= MAX_FIRST_LABEL;
    },
  },
  probeHostIsAHost: {
    // The probes' Host header and TLS server name must be a name the record publishes: the
    // controller refuses others too (and presents only names the record holds), this refuses
    // them before they are stored.
    rule: "!has(self.healthCheck) || !has(self.healthCheck.host) || (has(self.hosts) && self.hosts.exists(h, h == self.healthCheck.host || h == self.healthCheck.host + '.'))",
    message: 'healthCheck.host must be one of spec.hosts',
    test: (v) => {
      const spec = v as { hosts?: unknown; healthCheck?: { host?: unknown } };
      const host = spec.healthCheck?.host;
      if (host === undefined) return true;
      return Array.isArray(spec.hosts) && spec.hosts.some((h) => h === host || h === `${str(host)}.`);
    },
  },
  probeHostAmongListedHosts: {
    // A RouteDNSRecord may leave spec.hosts out (its names are the route's hostnames, which only
    // the controller sees): where it lists hosts, the probes' Host is one of them.
    rule: "!has(self.healthCheck) || !has(self.healthCheck.host) || !has(self.hosts) || self.hosts.exists(h, h == self.healthCheck.host || h == self.healthCheck.host + '.')",
    message: 'healthCheck.host must be one of spec.hosts',
    test: (v) => {
      const spec = v as { hosts?: unknown; healthCheck?: { host?: unknown } };
      const host = spec.healthCheck?.host;
      if (host === undefined || !Array.isArray(spec.hosts)) return true;
      return spec.hosts.some((h) => h === host || h === `${str(host)}.`);
    },
  },
  probeHostIsAServiceName: {
    // A ServiceDNSRecord's names come from its Domain, another object: what the API server can
    // check is the first label, the Service's (or externalName's) or the dnsPrefix.
    rule:
      "!has(self.spec.healthCheck) || !has(self.spec.healthCheck.host) || " +
      "self.spec.healthCheck.host.startsWith((has(self.spec.externalName) ? self.spec.externalName : self.metadata.name) + '.') || " +
      "(has(self.spec.dnsPrefix) && self.spec.healthCheck.host.startsWith(self.spec.dnsPrefix + '.'))",
    message: 'spec.healthCheck.host must be one of the record\'s names: it starts with the Service\'s name (or spec.externalName) or spec.dnsPrefix',
    test: (v) => {
      const o = v as { spec?: { healthCheck?: { host?: unknown }; externalName?: unknown; dnsPrefix?: unknown }; metadata?: { name?: unknown } };
      const host = o.spec?.healthCheck?.host;
      if (host === undefined) return true;
      const first = o.spec?.externalName !== undefined ? str(o.spec.externalName) : str(o.metadata?.name);
      return str(host).startsWith(`${first}.`) || (o.spec?.dnsPrefix !== undefined && str(host).startsWith(`${str(o.spec.dnsPrefix)}.`));
    },
  },
} satisfies Record<string, NameRule>;


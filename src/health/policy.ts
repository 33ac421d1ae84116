// Which addresses and ports the controller may probe. Probes run from inside the controller's
// network, with the controller's reachability, on addresses a tenant influences (a member
// cluster's load-balancer status): without a limit, a health check is a way to reach, and by its
// verdict to scan, what only the controller can reach (its API servers, the DNS provider's API,
// cloud metadata endpoints, the pods next to it).
//
// Rules are networks; the most specific one that contains an address decides (as a route
// table does). On equal prefix length, the admin's deny beats the admin's allow, which beats the
// built-in refusals. So `--probe-allow-cidrs 127.0.0.0/8` lifts the built-in loopback refusal,
// `--probe-deny-cidrs 10.244.0.0/16` refuses a pod network, and an allow-list is
// `--probe-deny-cidrs 0.0.0.0/0,::/0 --probe-allow-cidrs 203.0.113.0/24`.
import { BlockList, isIP } from 'node:net';

export interface ProbePolicyOptions {
  /** Networks probes may reach even where a built-in rule refuses them. */
  allowCidrs?: string[];
  /** Networks probes never reach (the cluster's pod and service networks, the provider's API...). */
  denyCidrs?: string[];
  /** Ports probes may use; absent or empty: every port. Entries are ports or ranges ("8000-8999"). */
  allowedPorts?: string[];
}

interface Rule {
  list: BlockList;
  prefix: number;
  /** 2: admin deny, 1: admin allow, 0: built-in refusal (the tie-break order). */
  rank: number;
  allow: boolean;
  /** Why an address is refused, as a tenant may read it (no more than the kind of network). */
  label: string;
}

/**
 * Refused unless an admin allows them: nothing a load balancer of a member cluster answers on.
 * docs/health-checks.md lists them with the reason for each, and why private networks are not.
 */
const BUILT_IN: { cidr: string; label: string }[] = [
  { cidr: '127.0.0.0/8', label: 'loopback' },
  { cidr: '::1/128', label: 'loopback' },
  // Link-local holds the metadata endpoint of most clouds (169.254.169.254: AWS, GCP, Azure,
  // OpenStack, Oracle...; 169.254.0.23: Tencent); the two below lie outside it.
  { cidr: '169.254.0.0/16', label: 'link-local' },
  { cidr: 'fe80::/10', label: 'link-local' },
  { cidr: 'fd00:ec2::254/128', label: 'cloud metadata' },
  { cidr: '100.100.100.200/32', label: 'cloud metadata' },
  { cidr: '0.0.0.0/8', label: 'unspecified' },
  { cidr: '::/128', label: 'unspecified' },
  { cidr: '224.0.0.0/4', label: 'multicast' },
  { cidr: 'ff00::/8', label: 'multicast' },
  { cidr: '255.255.255.255/32', label: 'broadcast' },
];

export interface PortRange {
  from: number;
  to: number;
}

/** "10.0.0.0/8" → its parts; throws with the offending text otherwise. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const m = /^\s*([^/\s]+)\/(\d{1,3})\s*$/.exec(text);
  const address = m?.[1] ?? '';
  const version = isIP(address);
  const prefix = Number(m?.[2]);
  if (!m || version === 0 || prefix > (version === 4 ? 32 : 128)) throw new Error(`not a network in CIDR notation: "${text}"`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** "443" → {443,443}; "8000-8999" → {8000,8999}; throws otherwise. */
export function parsePortRange(text: string): PortRange {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5}))?\s*$/.exec(text);
  const from = Number(m?.[1]);
  const to = m?.[2] === undefined ? from : Number(m[2]);
  if (!m || from < 1 || to > 65535 || from > to) throw new Error(`not a port or port range: "${text}"`);
  return { from, to };
}

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it carries. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

export class ProbePolicy {
  private readonly rules: Rule[] = [];
  private readonly ports: PortRange[];

  constructor(opts: ProbePolicyOptions = {}) {
    for (const b of BUILT_IN) this.add(b.cidr, 0, false, `${b.label} address`);
    for (const c of opts.allowCidrs ?? []) this.add(c, 1, true, 'allowed network');
    for (const c of opts.denyCidrs ?? []) this.add(c, 2, false, 'network refused by the probe policy');
    this.ports = (opts.allowedPorts ?? []).map(parsePortRange);
  }

  private add(cidr: string, rank: number, allow: boolean, label: string): void {
    const { address, prefix, family } = parseCidr(cidr);
    const list = new BlockList();
    list.addSubnet(address, prefix, family);
    this.rules.push({ list, prefix, rank, allow, label });
  }

  /** undefined when `port` may be probed, else why not. */
  refusesPort(port: number): string | undefined {
    if (this.ports.length === 0 || this.ports.some((r) => port >= r.from && port <= r.to)) return undefined;
    return `port ${port} is not allowed by the probe policy`;
  }

  /** undefined when the IP `address` may be probed, else why not (worded for a tenant's status). */
  refusesAddress(address: string): string | undefined {
    const ip = unmapped(address);
    const version = isIP(ip);
    if (version === 0) return 'not an IP address';
    const family = version === 4 ? 'ipv4' : 'ipv6';
    let best: Rule | undefined;
    for (const rule of this.rules) {
      if (!rule.list.check(ip, family)) continue;
      if (!best || rule.prefix > best.prefix || (rule.prefix === best.prefix && rule.rank > best.rank)) best = rule;
    }
    return best && !best.allow ? `${best.label}` : undefined;
  }

  /** Both checks, for one address and port. */
  refuses(address: string, port: number): string | undefined {
    const why = this.refusesAddress(address) ?? this.refusesPort(port);
    return why === undefined ? undefined : refusal(why);
  }
}

/** The text a refused target shows in status.health.targets[].lastError. */
export function refusal(why: string): string {
  return `probe refused: ${why}`;
}

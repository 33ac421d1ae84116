// Where the test bed finds its binaries. Apt packages come from PATH; Go-built servers from the
// cache filled by test/env/install-tools.sh ($MCDNS_CACHE/bin/<name>-<version>).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const versions = {
  kube: process.env['KUBE_VERSION'] ?? 'v1.35.4',
  externalDns: process.env['EXTERNAL_DNS_VERSION'] ?? 'v0.22.0',
  coredns: process.env['COREDNS_VERSION'] ?? 'v1.14.7',
  helm: process.env['HELM_VERSION'] ?? 'v4.3.2',
  /** Go module version of Prometheus (v0.316.0 is Prometheus v3.16.0), for promtool. */
  prometheus: process.env['PROMETHEUS_VERSION'] ?? 'v0.316.0',
  /** The lowest Node.js package.json's engines allows (install-tools.sh reads the same). */
  nodeFloor: (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node.replace(/^>=/, ''),
  /** A Node.js below the floor (install-tools.sh's NODE_OLD_VERSION). */
  nodeOld: process.env['NODE_OLD_VERSION'] ?? '20.20.2',
  /** Release of the Gateway API CRDs the member API servers serve (sigs.k8s.io/gateway-api). */
  gatewayApi: process.env['GATEWAY_API_VERSION'] ?? 'v1.6.3',
};

const cacheDir = process.env['MCDNS_CACHE'] ?? path.join(os.homedir(), '.cache', 'mcdns');
const binDir = path.join(cacheDir, 'bin');

const INSTALL_HINT = 'run test/env/install-tools.sh first';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Path of a cached Go-built binary; throws a clear Error if it is missing. */
function cachedBinary(name: string, version: string): string {
  const file = path.join(binDir, `${name}-${version}`);
  if (!isExecutable(file)) throw new Error(`${name} ${version} not found at ${file}: ${INSTALL_HINT}`);
  return file;
}

/** Absolute path of a command on PATH (plus /usr/sbin, /sbin); throws a clear Error if missing. */
export function systemBinary(name: string, aptPackage: string): string {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const file = path.join(d, name);
    if (isExecutable(file)) return file;
  }
  throw new Error(`${name} not found on PATH (Debian package ${aptPackage}): ${INSTALL_HINT}`);
}

export const bins = {
  etcd: () => systemBinary('etcd', 'etcd-server'),
  pdnsServer: () => systemBinary('pdns_server', 'pdns-server'),
  dig: () => systemBinary('dig', 'dnsutils'),
  unbound: () => systemBinary('unbound', 'unbound'),
  kubeApiserver: () => cachedBinary('kube-apiserver', versions.kube),
  kubectl: () => cachedBinary('kubectl', versions.kube),
  externalDns: (version = versions.externalDns) => cachedBinary('external-dns', version),
  coredns: (version = versions.coredns) => cachedBinary('coredns', version),
  helm: () => cachedBinary('helm', versions.helm),
  promtool: () => cachedBinary('promtool', versions.prometheus),
  /** A Node.js release fetched by install-tools.sh (node-floor). */
  node: (version: string) => cachedBinary('node', `v${version}`),
};

/**
 * The Gateway API standard-channel CRDs (GatewayClass, Gateway and the five route kinds), as
 * install-tools.sh cached them from the Go module; throws a clear Error if they are missing.
 */
export function gatewayApiCrds(): string[] {
  const dir = path.join(cacheDir, `gateway-api-${versions.gatewayApi}`);
  if (!fs.existsSync(path.join(dir, '.complete'))) throw new Error(`Gateway API ${versions.gatewayApi} CRDs not found in ${dir}: ${INSTALL_HINT}`);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(dir, f));
}

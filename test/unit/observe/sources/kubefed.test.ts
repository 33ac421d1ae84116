import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeFedClusterSource } from '../../../../src/observe/sources/kubefed.js';
import type { MemberChangeSet } from '../../../../src/observe/sources/member-config.js';
import { FakeApiServer, eventually, type FakeObject } from '../../kube/fake-apiserver.js';
import { capturingLogger, flushLogs } from '../../kube/capture-log.js';

const NS = 'kube-federation-system';
const CLUSTERS = `/apis/core.kubefed.io/v1beta1/namespaces/${NS}/kubefedclusters`;
const SECRETS = `/api/v1/namespaces/${NS}/secrets`;
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nnot a real certificate\n-----END CERTIFICATE-----\n').toString('base64');

function kubeFedCluster(name: string, apiEndpoint: string, extra: { status?: object; secret?: string } = {}): FakeObject {
  return {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'KubeFedCluster',
    metadata: { name, namespace: NS },
    spec: {
      apiEndpoint,
      caBundle: CA,
      secretRef: { name: extra.secret ?? `${name}-token` },
      disabledTLSValidations: ['*'],
    },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

function tokenSecret(name: string, token: string): FakeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS },
    type: 'Opaque',
    data: { token: Buffer.from(`${token}\n`).toString('base64'), 'ca.crt': CA },
  };
}

describe('KubeFedClusterSource', () => {
  let host: FakeApiServer;
  let member: FakeApiServer;
  let source: KubeFedClusterSource;
  let changes: MemberChangeSet[];
  let logs: ReturnType<typeof capturingLogger>;

  beforeEach(async () => {
    host = await FakeApiServer.start({ token: 'host-token' });
    member = await FakeApiServer.start({ token: 'member-token' });
    logs = capturingLogger('debug');
    changes = [];
  });
  afterEach(async () => {
    await source.stop();
    await Promise.all([host.stop(), member.stop()]);
  });

  function startSource(): void {
    source = new KubeFedClusterSource(host.kubeConfig('host-token'), { logger: logs.logger, initialBackoffMs: 20, secretRefreshMs: 50 });
    source.onChange((c) => changes.push(c));
    source.start();
  }

  it('builds a member from a KubeFedCluster and its token Secret: endpoint, CA, TLS switch, token, region, zones', async () => {
    host.put(CLUSTERS, kubeFedCluster('east', member.url, { status: { region: 'eu-west', zones: ['eu-west-1a', 'eu-west-1b'] } }));
    host.put(SECRETS, tokenSecret('east-token', 'member-token'));
    startSource();
    await eventually(() => source.synced(), 3000, 'synced');

    expect(changes).to.have.length(1);
    expect(changes[0]?.added.map((m) => m.name)).to.deep.equal(['east']);
    const [m] = source.members();
    expect(m?.source).to.equal('kubefedcluster');
    expect(m?.region).to.equal('eu-west');
    expect(m?.zones).to.deep.equal(['eu-west-1a', 'eu-west-1b']);
    const cluster = m?.kubeConfig.getCurrentCluster();
    expect(cluster?.server).to.equal(member.url);
    expect(cluster?.caData).to.equal(CA);
    expect(cluster?.skipTLSVerify, 'disabledTLSValidations ["*"]').to.equal(true);
    expect(m?.kubeConfig.getCurrentUser()?.token, 'decoded and trimmed').to.equal('member-token');

    // The built KubeConfig really talks to the member with the Secret's token.
    const nodes = await m!.kubeConfig.makeApiClient(CoreV1Api).listNode();
    expect(nodes.items).to.deep.equal([]);
    expect(member.requests.at(-1)?.authorization).to.equal('Bearer member-token');
  });

  it('does not add a cluster whose Secret is missing, logs why (without any token), and adds it when the Secret appears', async () => {
    host.put(CLUSTERS, kubeFedCluster('west', member.url));
    startSource();
    await eventually(() => source.synced(), 3000, 'synced');

    expect(source.members()).to.deep.equal([]);
    expect(changes).to.deep.equal([]);
    expect(source.problems()).to.deep.equal([
      { cluster: 'west', reason: `secret "west-token" not found in namespace ${NS}` },
    ]);
    await flushLogs();
    const warn = logs.lines.find((l) => l['message'] === 'member cluster not usable');
    expect(warn).to.include({ level: 'warn', cluster: 'west', reason: `secret "west-token" not found in namespace ${NS}` });

    host.put(SECRETS, tokenSecret('west-token', 'member-token'));
    await eventually(() => changes.length === 1, 3000, 'added after the Secret appeared');
    expect(changes[0]?.added.map((m) => m.name)).to.deep.equal(['west']);
    expect(source.problems()).to.deep.equal([]);
    await flushLogs();
    expect(JSON.stringify(logs.lines)).not.to.contain('member-token');
    expect(JSON.stringify(logs.lines)).not.to.contain(Buffer.from('member-token\n').toString('base64'));
  });

  it('reports a Secret without a token key and an invalid KubeFedCluster', async () => {
    host.put(CLUSTERS, kubeFedCluster('notoken', member.url));
    host.put(SECRETS, { metadata: { name: 'notoken-token', namespace: NS }, data: { other: 'eA==' } });
    const broken = kubeFedCluster('broken', member.url);
    delete (broken['spec'] as Record<string, unknown>)['apiEndpoint'];
    host.put(CLUSTERS, broken);
    startSource();
    await eventually(() => source.synced(), 3000, 'synced');
    expect(source.members()).to.deep.equal([]);
    const problems = source.problems();
    expect(problems[0]?.cluster).to.equal('broken');
    expect(problems[0]?.reason).to.match(/^invalid KubeFedCluster: \/spec\/apiEndpoint /);
    expect(problems[1]).to.deep.equal({ cluster: 'notoken', reason: 'secret "notoken-token" has no "token" key' });
  });

  it('follows token rotation (updated), registration edits (updated) and unjoin (removed) without restart', async () => {
    host.put(CLUSTERS, kubeFedCluster('east', member.url));
    host.put(SECRETS, tokenSecret('east-token', 'old-token'));
    startSource();
    await eventually(() => source.synced() && changes.length === 1, 3000, 'synced');

    host.put(SECRETS, tokenSecret('east-token', 'member-token'));
    await eventually(() => changes.length === 2, 3000, 'token rotation');
    expect(changes[1]?.updated.map((m) => m.name)).to.deep.equal(['east']);
    expect(source.members()[0]?.kubeConfig.getCurrentUser()?.token).to.equal('member-token');

    host.put(CLUSTERS, kubeFedCluster('east', member.url, { status: { region: 'r2', zones: ['z9'] } }));
    await eventually(() => changes.length === 3, 3000, 'registration edit');
    expect(changes[2]?.updated[0]?.region).to.equal('r2');

    // A Secret that changes nothing the member uses is not a change.
    host.put(SECRETS, { metadata: { name: 'unrelated', namespace: NS }, data: { token: 'eA==' } });
    host.remove(CLUSTERS, 'east', NS);
    await eventually(() => changes.length === 4, 3000, 'unjoin');
    expect(changes[3]).to.deep.equal({ added: [], updated: [], removed: ['east'] });
    expect(source.members()).to.deep.equal([]);
  });

  it('reads only the Secrets the KubeFedClusters name, by name: it never lists or watches Secrets', async () => {
    host.put(CLUSTERS, kubeFedCluster('east', member.url));
    host.put(SECRETS, tokenSecret('east-token', 'member-token'));
    host.put(SECRETS, { metadata: { name: 'unrelated', namespace: NS }, data: { password: 'eA==' } });
    startSource();
    await eventually(() => source.synced(), 3000, 'synced');
    await eventually(() => host.requests.filter((r) => r.path === `${SECRETS}/east-token`).length >= 3, 3000, 'periodic re-reads');
    const secretPaths = new Set(host.requests.filter((r) => r.path.startsWith(SECRETS)).map((r) => `${r.path}${r.watch ? ' (watch)' : ''}`));
    expect([...secretPaths]).to.deep.equal([`${SECRETS}/east-token`]);
  });

  it('reports a Secret it may not read, and keeps a member whose Secret read fails later', async () => {
    host.put(CLUSTERS, kubeFedCluster('east', member.url));
    host.put(CLUSTERS, kubeFedCluster('west', member.url));
    host.put(SECRETS, tokenSecret('east-token', 'member-token'));
    host.put(SECRETS, tokenSecret('west-token', 'member-token'));
    host.failPaths.set(`${SECRETS}/west-token`, 403);
    startSource();
    await eventually(() => source.synced(), 3000, 'synced');
    expect(source.members().map((m) => m.name)).to.deep.equal(['east']);
    expect(source.problems()).to.deep.equal([{ cluster: 'west', reason: `secret "west-token" in namespace ${NS} could not be read: HTTP 403: injected failure 403` }]);

    host.failPaths.set(`${SECRETS}/east-token`, 500);
    await eventually(() => host.requests.filter((r) => r.path === `${SECRETS}/east-token`).length >= 3, 3000, 'failed re-reads');
    expect(source.members().map((m) => m.name)).to.deep.equal(['east']);
    await flushLogs();
    // The line names the Secret and why, never what it holds.
    const kept = logs.lines.find((l) => l['message'] === 'could not read member cluster secret again; keeping the one read before');
    expect(kept).to.include({ level: 'warn', secretName: 'east-token', reason: 'HTTP 500: injected failure 500' });
    expect(JSON.stringify(logs.lines)).not.to.contain('member-token');
    expect(JSON.stringify(logs.lines)).not.to.contain(Buffer.from('member-token\n').toString('base64'));
    host.failPaths.clear();
    await eventually(() => source.members().length === 2, 3000, 'west readable again');
  });

  it('keeps retrying while the host API server is down and delivers the members once it is up', async () => {
    host.put(CLUSTERS, kubeFedCluster('east', member.url));
    host.put(SECRETS, tokenSecret('east-token', 'member-token'));
    await host.stop();
    startSource();
    await new Promise((r) => setTimeout(r, 200));
    expect(source.synced()).to.equal(false);
    await host.restart();
    await eventually(() => source.synced(), 5000, 'synced after the host came back');
    expect(source.members().map((m) => m.name)).to.deep.equal(['east']);
  });

  it('is unavailable, saying why, while the KubeFedCluster CRD is not installed or RBAC refuses the list; available once listed', async () => {
    host.failPaths.set(CLUSTERS, 404);
    startSource();
    await eventually(() => source.availability().state !== 'pending', 3000, 'a verdict');
    expect(source.availability()).to.deep.equal({ state: 'unavailable', reason: 'the KubeFedCluster CRD (kubefedclusters.core.kubefed.io) is not installed' });
    expect(source.synced()).to.equal(false);
    host.failPaths.set(CLUSTERS, 403);
    await eventually(() => /not allowed/.test(source.availability().reason ?? ''), 3000, 'forbidden');
    expect(source.availability().reason).to.match(/^not allowed to list KubeFedClusters in namespace kube-federation-system: HTTP 403/);
    host.failPaths.delete(CLUSTERS);
    await eventually(() => source.availability().state === 'available', 3000, 'listed');
    expect(source.members()).to.deep.equal([]);
  });
});

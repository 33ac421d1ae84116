import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostKubeConfig, membersFromKubeconfig } from '../../../../src/observe/sources/kubeconfig.js';

// A merged kubeconfig like the seeds use: one context per cluster, the host current.
const KUBECONFIG = `
apiVersion: v1
kind: Config
current-context: host
clusters:
- name: host
  cluster: { server: "https://127.0.0.1:16443", insecure-skip-tls-verify: true }
- name: east
  cluster: { server: "https://127.0.0.2:16443", insecure-skip-tls-verify: true }
- name: west
  cluster: { server: "https://127.0.0.3:16443", insecure-skip-tls-verify: true }
users:
- name: admin
  user: { token: "not-logged" }
contexts:
- name: host
  context: { cluster: host, user: admin }
- name: east
  context: { cluster: east, user: admin }
- name: west
  context: { cluster: west, user: admin }
- name: dangling
  context: { cluster: nowhere, user: admin }
`;

describe('members from a kubeconfig', () => {
  let dir: string;
  let path: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcdns-kubeconfig-'));
    path = join(dir, 'config');
    writeFileSync(path, KUBECONFIG);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes one member per context, named after it, each with its own KubeConfig switched to that context', () => {
    const members = membersFromKubeconfig(path, ['east', 'west']);
    expect(members.map((m) => m.name)).to.deep.equal(['east', 'west']);
    expect(members.map((m) => m.source)).to.deep.equal(['kubeconfig', 'kubeconfig']);
    expect(members.map((m) => m.kubeConfig.getCurrentCluster()?.server)).to.deep.equal([
      'https://127.0.0.2:16443',
      'https://127.0.0.3:16443',
    ]);
    expect(members[0]?.kubeConfig).not.to.equal(members[1]?.kubeConfig);
    expect(members[0]?.region).to.equal(undefined);
    expect(members[0]?.zones).to.equal(undefined);
  });

  it('rejects an unknown context, naming it and listing the available contexts', () => {
    expect(() => membersFromKubeconfig(path, ['east', 'north'])).to.throw(
      `unknown kubeconfig context "north" in ${path}; available contexts: host, east, west, dangling`,
    );
  });

  it('rejects a context whose cluster is not defined, and a context listed twice', () => {
    expect(() => membersFromKubeconfig(path, ['dangling'])).to.throw(/context "dangling".*cluster that is not defined/);
    expect(() => membersFromKubeconfig(path, ['east', 'east'])).to.throw('kubeconfig context "east" is listed twice');
  });

  it('gives the host KubeConfig from the current context or from a named one', () => {
    expect(hostKubeConfig(path).getCurrentCluster()?.server).to.equal('https://127.0.0.1:16443');
    expect(hostKubeConfig(path, 'west').getCurrentCluster()?.server).to.equal('https://127.0.0.3:16443');
    expect(() => hostKubeConfig(path, 'nope')).to.throw(/unknown kubeconfig context "nope"/);
  });
});

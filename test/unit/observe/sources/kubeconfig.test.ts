import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
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

  it('takes every context of a members-only kubeconfig when no context is named', () => {
    const only = join(dir, 'members');
    writeFileSync(only, KUBECONFIG.replace(/- name: dangling\n.*\n/, ''));
    expect(membersFromKubeconfig(only, [], true).map((m) => m.name)).to.deep.equal(['host', 'east', 'west']);
    expect(membersFromKubeconfig(only, ['west'], true).map((m) => m.name)).to.deep.equal(['west']);
    expect(membersFromKubeconfig(only, []), 'without allContexts, no context is a member').to.deep.equal([]);
    const empty = join(dir, 'empty');
    writeFileSync(empty, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    expect(() => membersFromKubeconfig(empty, [], true)).to.throw(`no member clusters: no context in ${empty}`);
  });

  describe('KUBECONFIG with several files, merged as kubectl merges them', () => {
    const saved = process.env['KUBECONFIG'];
    afterEach(() => {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
    });
    const other = (server: string, current: string) => `
apiVersion: v1
kind: Config
current-context: ${current}
clusters:
- name: east
  cluster: { server: "${server}", insecure-skip-tls-verify: true }
- name: south
  cluster: { server: "https://127.0.0.4:16443", insecure-skip-tls-verify: true }
users:
- name: admin
  user: { token: "other" }
contexts:
- name: east
  context: { cluster: east, user: admin }
- name: south
  context: { cluster: south, user: admin }
`;

    it('reads contexts from every file; the first file to set a name or the current context wins; missing files are skipped', () => {
      const second = join(dir, 'second');
      writeFileSync(second, other('https://127.0.0.99:16443', 'south'));
      process.env['KUBECONFIG'] = [path, join(dir, 'missing'), '', second].join(delimiter);
      const members = membersFromKubeconfig(undefined, ['east', 'south']);
      expect(members.map((m) => m.kubeConfig.getCurrentCluster()?.server)).to.deep.equal(['https://127.0.0.2:16443', 'https://127.0.0.4:16443']);
      expect(members[1]!.kubeConfig.getCurrentUser()?.token, 'the user "admin" of the first file').to.equal('not-logged');
      expect(hostKubeConfig(undefined).getCurrentContext(), 'current-context of the first file').to.equal('host');
      process.env['KUBECONFIG'] = [second, path].join(delimiter);
      expect(hostKubeConfig(undefined).getCurrentContext()).to.equal('south');
      expect(hostKubeConfig(undefined, 'east').getCurrentCluster()?.server).to.equal('https://127.0.0.99:16443');
    });

    it('names the list in errors, and refuses a list of files that do not exist', () => {
      process.env['KUBECONFIG'] = [path, join(dir, 'second')].join(delimiter);
      expect(() => hostKubeConfig(undefined, 'north')).to.throw(`unknown kubeconfig context "north" in KUBECONFIG (${process.env['KUBECONFIG']})`);
      process.env['KUBECONFIG'] = join(dir, 'nope');
      expect(() => hostKubeConfig(undefined)).to.throw(`KUBECONFIG=${join(dir, 'nope')} names no file that exists`);
    });

    it('--kubeconfig names one file, as with kubectl: KUBECONFIG is not read then', () => {
      process.env['KUBECONFIG'] = join(dir, 'nope');
      expect(hostKubeConfig(path).getCurrentContext()).to.equal('host');
    });
  });
});

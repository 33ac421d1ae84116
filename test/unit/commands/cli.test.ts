// The built CLI as a user runs it: exit codes, messages, -o json, shell completion.
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { MCDNS_CLI } from '../../env/mcdns.js';

const exec = promisify(execFile);
const cli = MCDNS_CLI;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
const mcdns = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<Result> => {
  const run = exec(process.execPath, [cli, ...args], { env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig', ...env } });
  if (input !== undefined) run.child.stdin?.end(input);
  else run.child.stdin?.end();
  return run.then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: Result) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
};

describe('mcdns CLI', () => {
  describe('exit codes: 0 success, 1 findings, 2 usage or setup errors (the table in --help)', () => {
    it('--help and --version exit 0; --help ends with the exit code table', async () => {
      const help = await mcdns(['--help']);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.match(/\nExit codes:\n  0 success: [^]*\n  1 findings: [^]*\n  2 usage or setup error: /);
      const version = await mcdns(['--version']);
      expect(version.code).to.equal(0);
      expect(version.stdout).to.match(/^\d+\.\d+\.\d+\S* \(commit [0-9a-f]{12}|unknown\)\n$/);
    });

    it('a typo, an unknown command, a missing argument or option exit 2, never 1 (which means findings)', async () => {
      for (const args of [
        ['audit', '--ouput', 'json', '--provider', 'powerdns'],
        ['valdate', 'x.yaml'],
        ['validate'],
        ['plan', '--provider', 'powerdns'],
        ['validate', '-o', 'yaml', 'manifests/samples/'],
        [],
      ]) {
        const r = await mcdns(args);
        expect(r.code, `mcdns ${args.join(' ')}: ${r.stderr}`).to.equal(2);
        expect(r.stderr).to.match(/error: /);
      }
    });
  });

  describe('validate reads files, directories (-R) and stdin, as kubectl -f does', () => {
    it('reads a directory\'s YAML files; -R also the directories below', async () => {
      const flat = await mcdns(['validate', 'manifests/samples/']);
      expect(flat.code, flat.stderr).to.equal(0);
      expect(flat.stderr).to.contain('4 valid, 0 invalid');
      const recursive = await mcdns(['validate', '-R', 'test/fixtures/']);
      expect(recursive.code, 'broken fixtures are findings').to.equal(1);
      expect(recursive.stdout).to.contain('test/fixtures/broken-records.yaml: IngressDNSRecord/bad-host');
      const shallow = await mcdns(['validate', 'test/']);
      expect(shallow.code).to.equal(2);
      expect(shallow.stderr).to.equal('mcdns: no .yaml, .yml or .json file in test/ (-R reads the directories below too)\n');
    });

    it('reads - from stdin', async () => {
      const r = await mcdns(['validate', '-', 'manifests/samples/servicednsrecord.yaml'], {}, 'apiVersion: multiclusterdns.kubefed.io/v1alpha1\nkind: IngressDNSRecord\nmetadata: {name: x, namespace: team-y}\nspec: {hosts: [Not_A_Name]}\n');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/^-: IngressDNSRecord\/x: spec\.hosts\[0\]: /);
      expect(r.stderr).to.contain('2 valid, 1 invalid');
    });

    it('stops with exit code 2 on a path it cannot read, before checking anything', async () => {
      const r = await mcdns(['validate', 'manifests/samples/ingressdnsrecord.yaml', 'no/such.yaml']);
      expect(r.code).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal('mcdns: cannot read no/such.yaml: no such file or directory\n');
    });
  });

  describe('plan says what it ignored', () => {
    it('refuses, with exit code 2 and before contacting the provider, input without a DNSEndpoint, naming what it got', async () => {
      // The provider address answers nothing: a plan that contacted it would fail differently.
      const r = await mcdns(['plan', '--provider', 'powerdns', '--pdns-server', 'http://127.0.0.1:9', '-f', 'manifests/samples/ingressdnsrecord.yaml'], { MCDNS_PDNS_API_KEY: 'k' });
      expect(r.code).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.contain('mcdns: no DNSEndpoint to plan, only 1 object that is not a DNSEndpoint: IngressDNSRecord fed-namespace/fed-helloworld-ingress;');
      expect(r.stderr).to.contain('kubectl get dnsendpoints -A -o yaml | mcdns plan -f -');
    });

    it('names the objects it skipped beside the DNSEndpoints it plans (on stderr)', async () => {
      const input = [
        'apiVersion: externaldns.k8s.io/v1alpha1\nkind: DNSEndpoint\nmetadata: {name: e, namespace: team-n}\nspec: {endpoints: [{dnsName: a.example.org, recordType: A, targets: [127.0.0.11]}]}',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team-n}',
      ].join('\n---\n');
      const r = await mcdns(['plan', '--provider', 'powerdns', '--pdns-server', 'http://127.0.0.1:9', '-f', '-'], { MCDNS_PDNS_API_KEY: 'k', MCDNS_PROVIDER_TIMEOUT: '2s' }, input);
      expect(r.stderr).to.contain('mcdns plan: ignored 1 object that is not a DNSEndpoint: ConfigMap team-n/c\n');
      expect(r.code, 'the provider cannot be read: a setup error, not a finding').to.equal(2);
      expect(r.stdout).to.contain('mcdns plan: cannot read powerdns');
    });
  });

  describe('boolean environment variables', () => {
    it('MCDNS_NO_DNSENDPOINTS=false keeps DNSEndpoints on; =true turns them off', async () => {
      // With no --provider, turning DNSEndpoints off is refused: that tells which way it went.
      const off = await mcdns(['run', '--member-contexts', 'm1'], { MCDNS_NO_DNSENDPOINTS: 'true' });
      expect(off.stderr).to.contain('--no-dnsendpoints needs a --provider');
      const on = await mcdns(['run', '--member-contexts', 'm1'], { MCDNS_NO_DNSENDPOINTS: 'false' });
      expect(on.stderr).not.to.contain('--no-dnsendpoints needs a --provider');
    });

    it('any other value stops the command with exit code 2 and names the variable', async () => {
      const r = await mcdns(['run', '--member-contexts', 'm1'], { MCDNS_LEADER_ELECT: 'yes' });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.equal('mcdns: MCDNS_LEADER_ELECT="yes" is not a boolean (use true, false, 1 or 0)\n');
    });
  });

  it('rejects a bad duration with the flag, the value and an example', async () => {
    const r = await mcdns(['run', '--member-contexts', 'm1', '--offline-grace', '5x']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain("option '--offline-grace <duration>' argument '5x' is invalid");
    expect(r.stderr).to.contain('1h30m');
    const env = await mcdns(['run', '--member-contexts', 'm1'], { MCDNS_OFFLINE_GRACE: 'soon' });
    expect(env.code).to.not.equal(0);
    expect(env.stderr).to.contain("from env 'MCDNS_OFFLINE_GRACE' is invalid");
  });

  it('takes --health-checked-ttl in whole seconds only, and names the flag otherwise', async () => {
    const r = await mcdns(['run', '--member-contexts', 'm1', '--health-checked-ttl', '1500ms']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal('mcdns: --health-checked-ttl must be a whole number of seconds (0 turns it off)\n');
    const env = await mcdns(['run', '--member-contexts', 'm1'], { MCDNS_HEALTH_CHECKED_TTL: 'soon' });
    expect(env.code).to.not.equal(0);
    expect(env.stderr).to.contain("from env 'MCDNS_HEALTH_CHECKED_TTL' is invalid");
  });

  it('validate -o json: counts and every problem with file, object, field path and message', async () => {
    const r = await mcdns(['validate', '-o', 'json', 'test/fixtures/broken-records.yaml', 'manifests/samples/ingressdnsrecord.yaml']);
    expect(r.code).to.equal(1);
    const report = JSON.parse(r.stdout) as { valid: number; invalid: number; problems: Array<Record<string, string>> };
    expect(report).to.include({ valid: 1, invalid: 3 });
    expect(report.problems[0]).to.deep.equal({
      file: 'test/fixtures/broken-records.yaml',
      object: 'IngressDNSRecord/bad-host',
      path: 'spec.hosts[1]',
      message: '"Hello_World.example.org" is not valid: must be a lower-case DNS name of RFC 1123 labels (the first at most 57 characters, the others 63, 247 in all), optionally starting with the whole label "*", not an IP address',
    });
    const ok = await mcdns(['validate', '--output', 'json', 'manifests/samples/ingressdnsrecord.yaml']);
    expect(ok.code).to.equal(0);
    expect(JSON.parse(ok.stdout)).to.deep.equal({ valid: 1, invalid: 0, ignored: 0, problems: [], notes: [] });
  });

  describe('completion', () => {
    const complete = (script: string, line: string): string[] => {
      // Runs the generated bash function the way bash's programmable completion calls it.
      const words = line.split(' ');
      const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_mcdns; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return execFileSync('bash', ['-c', program], { encoding: 'utf8', cwd: 'manifests' }).split('\n').filter(Boolean).sort();
    };

    it('bash: commands, each command\'s flags, choices and file names', async () => {
      const { stdout: script } = await mcdns(['completion', 'bash']);
      expect(complete(script, 'mcdns ')).to.include.members(['run', 'validate', 'plan', 'audit', 'completion']);
      expect(complete(script, 'mcdns run --leader-')).to.deep.equal(['--leader-elect', '--leader-election-id', '--leader-election-namespace']);
      expect(complete(script, 'mcdns run --no-')).to.deep.equal(['--no-dnsendpoints', '--no-fail-open']);
      expect(complete(script, 'mcdns plan -o ')).to.deep.equal(['json', 'table']);
      expect(complete(script, 'mcdns run --dnsendpoint-group multi')).to.deep.equal(['multiclusterdns.kubefed.io']);
      expect(complete(script, 'mcdns validate sam')).to.deep.equal(['samples']);
      expect(complete(script, 'mcdns completion ')).to.deep.equal(['bash', 'zsh']);
    });

    it('zsh: a script zsh accepts, naming every flag of every command', async () => {
      const { stdout: script } = await mcdns(['completion', 'zsh']);
      expect(script.split('\n')[0]).to.equal('#compdef mcdns');
      execFileSync('zsh', ['-n'], { input: script });
      const { stdout: help } = await mcdns(['run', '--help']);
      for (const flag of help.match(/--[a-z][a-z-]+/g) ?? []) expect(script, flag).to.contain(flag);
    });

    it('refuses an unknown shell', async () => {
      const r = await mcdns(['completion', 'fish']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('no completion for shell "fish" (one of bash, zsh)');
    });
  });
});

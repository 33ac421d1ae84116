// Docs that cannot drift: every flag and MCDNS_* variable README.md and docs/*.md name must be
// in the --help of the built CLI (of the very command when the docs show a `mcdns <command>`
// line), and README's configuration tables must be what `npm run docs:flags` generates from the
// CLI's definitions. Flags of other tools are recognised by the command they follow (kubectl,
// npm, ...) or listed below with their tool.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { program } from '../../src/commands/program.js';
import { flagsMarkdown, withFlags } from '../../src/commands/flags-doc.js';
import { EXIT_CODES } from '../../src/commands/exit-codes.js';
import { BENCH_OPTIONS } from '../bench/options.js';
import { MCDNS_CLI } from '../env/mcdns.js';

const cli = MCDNS_CLI;
const COMMANDS = ['run', 'plan', 'audit', 'validate', 'completion'];

/** Flags the docs name in prose, tables or YAML that belong to another tool. */
const OTHER_TOOLS: Record<string, string> = {
  '--source': 'ExternalDNS',
  '--registry': 'ExternalDNS',
  '--crd-source-apiversion': 'ExternalDNS',
  '--crd-source-kind': 'ExternalDNS',
  '--events': 'ExternalDNS',
  '--interval': 'ExternalDNS',
  '--min-event-sync-interval': 'ExternalDNS',
  '--tls-ca': 'ExternalDNS',
  '--tls-client-cert': 'ExternalDNS',
  '--tls-client-cert-key': 'ExternalDNS',
  '--max-txn-ops': 'etcd',
  '--kube-api-qps': 'ExternalDNS',
  '--kube-api-burst': 'ExternalDNS',
  '--etcd-prefix': 'kube-apiserver',
  '--create-namespace': 'Helm',
  '--max-old-space-size': 'Node.js',
  '--max-semi-space-size': 'Node.js',
  '--heapsnapshot-signal': 'Node.js',
  '--enable-source-maps': 'Node.js',
  '--expose-gc': 'Node.js',
  '--set': 'Helm',
};
/** Variables the docs name that are not mcdns settings. */
const OTHER_VARIABLES: Record<string, string> = {
  MCDNS_BENCH_PATHS: 'the benchmark (npm run bench)',
  MCDNS_COMMIT: 'the build: the commit scripts/bundle.mjs writes into the bundle (docker build --build-arg)',
};
/** A command line of one of these tools: its flags are its own. */
const OTHER_COMMANDS = /^(kubectl|npm|npx (?!mcdns)|helm|kustomize|docker|dig|etcdctl|pdnsutil|kubefedctl|external-dns|openssl|curl|git|promtool|go)\b/;

const help = Object.fromEntries(
  COMMANDS.map((c) => [c, execFileSync(process.execPath, [cli, c, '--help'], { encoding: 'utf8' })]),
) as Record<string, string>;
const flagsIn = (text: string) => new Set(text.match(/(?<![\w-])--?[a-z][a-z0-9-]*/g) ?? []);
const helpFlags = Object.fromEntries(COMMANDS.map((c) => [c, flagsIn(help[c]!)])) as Record<string, Set<string>>;
/** The program's own flags (--version, --help) too. */
const topHelp = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
const anyFlag = new Set([...Object.values(helpFlags).flatMap((s) => [...s]), ...flagsIn(topHelp)]);
const helpVariables = new Set(Object.values(help).join('\n').match(/\b(MCDNS|AZURE)_[A-Z0-9_]*[A-Z0-9]\b/g) ?? []);

/** The benchmark's own flags: docs/performance.md may name them (and nothing the bench lacks). */
const benchFlags = new Set(Object.keys(BENCH_OPTIONS).map((k) => `--${k}`));
const BENCH_DOC = 'docs/performance.md';

const docs = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Mention {
  file: string;
  /** The `mcdns <command>` the text is a command line of, if any. */
  command?: string;
  text: string;
}

/** Code blocks as logical lines (continuations joined), code spans, and the prose around them. */
function mentions(file: string): Mention[] {
  const out: Mention[] = [];
  const text = readFileSync(file, 'utf8');
  const parts = text.split(/^[ \t]*```.*$/m);
  const classify = (raw: string): Mention | undefined => {
    const t = raw.trim().replace(/^\$\s+/, '').replace(/^(\w+=\S*\s+)+/, '');
    if (OTHER_COMMANDS.test(t) || /^\w+=\$\((kubectl|npm)\b/.test(raw.trim())) return undefined;
    const m = /^(?:npx\s+)?(?:mcdns|node\s+dist\/mcdns\.js)\s+([a-z]+)/.exec(t);
    return m && COMMANDS.includes(m[1]!) ? { file, command: m[1]!, text: t } : { file, text: t };
  };
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      for (const line of part.replace(/\\\n/g, ' ').split('\n')) {
        const m = classify(line);
        if (m) out.push(m);
      }
      return;
    }
    const spans = part.match(/`[^`]+`/g) ?? [];
    for (const s of spans) {
      const m = classify(s.slice(1, -1));
      if (m) out.push(m);
    }
    out.push({ file, text: part.replace(/`[^`]+`/g, ' ') });
  });
  return out;
}

const all = docs.flatMap(mentions);

describe('docs match the CLI', () => {
  it('every flag the docs name exists: in that command\'s --help on a `mcdns <command>` line, else in some command\'s', () => {
    const missing: string[] = [];
    for (const m of all) {
      for (const flag of flagsIn(m.text)) {
        if (!flag.startsWith('--')) continue; // short options are checked on command lines below
        if (m.command ? helpFlags[m.command]!.has(flag) : anyFlag.has(flag) || flag in OTHER_TOOLS) continue;
        if (m.file === BENCH_DOC && benchFlags.has(flag)) continue;
        missing.push(`${m.file}: ${flag}${m.command ? ` (mcdns ${m.command} --help lacks it)` : ''}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('short options on `mcdns <command>` lines exist for that command', () => {
    const missing = all
      .filter((m) => m.command)
      .flatMap((m) => [...flagsIn(m.text)].filter((f) => !f.startsWith('--') && !helpFlags[m.command!]!.has(f)).map((f) => `${m.file}: mcdns ${m.command} ${f}`));
    expect(missing).to.deep.equal([]);
  });

  it('every MCDNS_* / AZURE_* variable the docs name is one --help lists', () => {
    const named = new Set(all.flatMap((m) => m.text.match(/\b(MCDNS|AZURE)_[A-Z0-9_]*[A-Z0-9]\b/g) ?? []).map((v) => v));
    const missing = [...named].filter((v) => !helpVariables.has(v) && !(v in OTHER_VARIABLES)).sort();
    expect(missing, 'named in the docs, unknown to mcdns --help').to.deep.equal([]);
  });

  it('README\'s configuration tables are generated from the CLI (run `npm run docs:flags` after changing a flag)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(withFlags(readme, flagsMarkdown(program)) === readme, 'README.md is stale: run npm run docs:flags').to.equal(true);
  });

  it('README lists every flag and variable of `mcdns run --help`', () => {
    const readme = readFileSync('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('<!-- flags:begin'), readme.indexOf('<!-- flags:end -->'));
    const flags = [...helpFlags['run']!].filter((f) => f.startsWith('--') && f !== '--help');
    expect(flags.filter((f) => !table.includes(`\`${f}`))).to.deep.equal([]);
    expect([...helpVariables].filter((v) => help['run']!.includes(v) && !table.includes(v))).to.deep.equal([]);
    expect(flags.length).to.be.greaterThan(40);
  });

  it('README\'s exit code table is the one `mcdns --help` prints', () => {
    const readme = readFileSync('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('### Exit codes'));
    const rows = [...table.matchAll(/^\| (\d) \| (.*) \|$/gm)].map((m) => ({ code: Number(m[1]), meaning: m[2] }));
    expect(rows).to.deep.equal(EXIT_CODES);
    const printed = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).split('Exit codes:\n')[1]!.replace(/\n {4}/g, ' ');
    expect(printed.trimEnd().split('\n')).to.deep.equal(EXIT_CODES.map((e) => `  ${e.code} ${e.meaning}`));
  });
});

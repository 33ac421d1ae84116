// docs/architecture.md cannot drift from the tree: its folder map names every folder of src/ and
// providers/ that holds code, and only folders and files that exist; the rules it cites are the
// rules of .dependency-cruiser.cjs, all of them; and every src/ or providers/ path the page
// names (the member change followed file by file, among others) exists.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const DOC = 'docs/architecture.md';
// Fenced blocks (the pipeline drawing) aside: their ``` would pair with the code spans' backticks.
const text = readFileSync(DOC, 'utf8').replace(/^```[^]*?^```$/gm, '');

/** The text of the `## title` section, up to the next `## `. */
function section(title: string): string {
  const start = text.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`${DOC} has no "## ${title}" section`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

const codeSpans = (s: string) => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** The folder map's rows: the paths of the first column, the rule names of the last. */
const rows = section('Folder map')
  .split('\n')
  .filter((line) => line.startsWith('| `'))
  .map((line) => {
    const cells = line.split('|').slice(1, -1);
    return { paths: codeSpans(cells[0]!), rules: codeSpans(cells[cells.length - 1]!) };
  });
const mapped = rows.flatMap((r) => r.paths);

/** Every folder under `root` that holds a .ts file of its own, as `folder/`. */
function codeFolders(root: string): string[] {
  const here = readdirSync(root, { withFileTypes: true });
  const own = here.some((e) => e.isFile() && e.name.endsWith('.ts')) ? [`${root}/`] : [];
  return [...own, ...here.filter((e) => e.isDirectory()).flatMap((e) => codeFolders(join(root, e.name)))];
}

const ruleNames = (createRequire(import.meta.url)(resolve('.dependency-cruiser.cjs')) as { forbidden: { name: string }[] }).forbidden.map((r) => r.name);

describe('docs/architecture.md', () => {
  it('has a folder map', () => {
    expect(rows.length).to.be.greaterThan(10);
  });

  it('maps only folders and files that exist', () => {
    expect(mapped.filter((p) => !existsSync(p))).to.deep.equal([]);
  });

  it('maps every folder of src/ and providers/ that holds code', () => {
    const folders = [...codeFolders('src').filter((f) => f !== 'src/'), ...codeFolders('providers')];
    expect(folders.filter((f) => !mapped.includes(f))).to.deep.equal([]);
  });

  it('cites the rules of .dependency-cruiser.cjs, and all of them', () => {
    const cited = rows.flatMap((r) => r.rules);
    expect(cited.filter((r) => !ruleNames.includes(r)), 'cited but not in the rule file').to.deep.equal([]);
    const named = new Set(codeSpans(section('Folder map')));
    expect(ruleNames.filter((r) => !named.has(r)), 'in the rule file but not in the map').to.deep.equal([]);
  });

  it('names only src/ and providers/ paths that exist', () => {
    const paths = codeSpans(text).filter((s) => /^(src|providers)\/[\w./-]*$/.test(s));
    expect(paths.length).to.be.greaterThan(30);
    expect(paths.filter((p) => !existsSync(p))).to.deep.equal([]);
  });
});

// `npm run bundle`: the two files the npm package and the image run, from tsc's output in dist/.
//   dist/mcdns.js         the launcher (src/launcher.ts): checks the Node.js version, then loads
//   dist/mcdns-bundle.js  the CLI and the controller (src/cli.ts and all it imports), minified; the
//                         provider SDKs stay outside (providers/sdk.ts loads them when configured).
// The Node.js floor is package.json's engines.node; the version is package.json's; the commit is
// MCDNS_COMMIT (the image build passes it) or `git rev-parse`, else "unknown".
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const floor = /^>=(\d+\.\d+\.\d+)$/.exec(pkg.engines?.node ?? '')?.[1];
if (!floor) throw new Error(`package.json engines.node must read ">=x.y.z", not ${JSON.stringify(pkg.engines?.node)}`);

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
const commit = process.env.MCDNS_COMMIT || gitCommit();

await build({
  entryPoints: ['dist/src/cli.js'],
  outfile: 'dist/mcdns-bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Syntax the floor runs; everything newer is lowered.
  target: `node${floor}`,
  minify: true,
  keepNames: true,
  sourcemap: true,
  logLevel: 'warning',
  // The bundle is ESM; CommonJS packages inside it call require().
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  define: { MCDNS_BUILD: JSON.stringify({ version: pkg.version, commit }) },
});

await build({
  entryPoints: ['dist/src/launcher.js'],
  outfile: 'dist/mcdns.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Old enough for the check to run (and fail politely) on any Node.js that loads ES modules.
  target: 'node14',
  logLevel: 'warning',
  define: { MCDNS_NODE_FLOOR: JSON.stringify(floor) },
});

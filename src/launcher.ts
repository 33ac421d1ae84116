#!/usr/bin/env node
// The `mcdns` executable (package.json's bin, the image's entry point): checks the Node.js
// version first, then loads the bundle (src/cli.ts and everything it imports). The check cannot
// live in the bundle: on an older Node.js its dependencies fail while they load (undici, inside
// client-node, with a TypeError in minified code) before any line of mcdns runs. So this file
// imports nothing and uses only syntax any Node.js with ES modules parses.

/** package.json's engines.node without its ">=" (scripts/bundle.mjs defines it). */
declare const MCDNS_NODE_FLOOR: string;

function versionParts(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split('.')
    .map((n) => parseInt(n, 10) || 0);
}

function atLeast(found: string, floor: string): boolean {
  const a = versionParts(found);
  const b = versionParts(floor);
  for (let i = 0; i < 3; i++) {
    const x = a[i] || 0;
    const y = b[i] || 0;
    if (x !== y) return x > y;
  }
  return true;
}

if (!atLeast(process.versions.node, MCDNS_NODE_FLOOR)) {
  process.stderr.write(`mcdns: needs Node.js ${MCDNS_NODE_FLOOR} or later; this is Node.js ${process.versions.node}\n`);
  process.exit(2);
}

// A variable: neither tsc nor esbuild resolves it at build time (the bundle sits beside this file).
const bundle = './mcdns-bundle.js';
import(bundle).catch((err: unknown) => {
  process.stderr.write(`mcdns: cannot load ${bundle}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});

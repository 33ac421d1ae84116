// `npm run docs:flags`: rewrites README.md's configuration tables from the CLI's definitions.
import { readFileSync, writeFileSync } from 'node:fs';
import { program } from './program.js';
import { flagsMarkdown, withFlags } from './flags-doc.js';

const before = readFileSync('README.md', 'utf8');
const after = withFlags(before, flagsMarkdown(program));
writeFileSync('README.md', after);
console.log(before === after ? 'README.md is up to date' : 'README.md: configuration tables rewritten');

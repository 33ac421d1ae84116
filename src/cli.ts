#!/usr/bin/env node
// The `mcdns` executable: runs the command line of src/commands/program.ts. Nothing imports
// this file; an uncaught failure ends with exit code 2.
import { program } from './commands/program.js';

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`mcdns: ${(err as Error).message}`);
  process.exit(2);
});

// The `mcdns` command line, once src/launcher.ts has checked the Node.js version: runs the
// program of src/commands/program.ts. Nothing imports this file. Exit codes (the table is in
// `mcdns --help`): commander's usage errors and any failure that stops a command end with 2.
import { CommanderError } from 'commander';
import { program } from './commands/program.js';

program.parseAsync(process.argv).catch((err: unknown) => {
  // commander has printed its own message (and the help) already.
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  console.error(`mcdns: ${(err as Error).message}`);
  process.exit(2);
});

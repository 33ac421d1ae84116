// The YAML a command reads, taken as `kubectl apply -f` takes it: files, directories (their
// .yaml, .yml and .json files, in name order; with -R also those below) and `-` for stdin. A path
// that cannot be read stops the command (exit code 2) before anything is checked: an unreadable
// input is not a finding.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Input {
  /** The file's path as given or found, or `-` for stdin. */
  name: string;
  text: string;
}

const YAML_FILE = /\.(ya?ml|json)$/;

function filesIn(dir: string, recursive: boolean): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return recursive ? filesIn(path, true) : [];
    return YAML_FILE.test(e.name) ? [path] : [];
  });
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Reads every input; `readStdin` is for tests. */
export function readInputs(paths: string[], opts: { recursive?: boolean; readStdin?: () => string } = {}): Input[] {
  if (paths.filter((p) => p === '-').length > 1) throw new Error('- (stdin) can be given once');
  return paths.flatMap((path): Input[] => {
    if (path === '-') return [{ name: '-', text: (opts.readStdin ?? (() => readFileSync(0, 'utf8')))() }];
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    if (!isDir) return [{ name: path, text: read(path) }];
    const files = filesIn(path, opts.recursive === true);
    if (files.length === 0) throw new Error(`no .yaml, .yml or .json file in ${path}${opts.recursive ? ' or below' : ' (-R reads the directories below too)'}`);
    return files.map((f) => ({ name: f, text: read(f) }));
  });
}

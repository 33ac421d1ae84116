// `mcdns validate FILE...`: checks admins' YAML offline with the same schemas the controller
// and the CRDs use, reading it as kubectl and the API server do (kube-yaml.ts: YAML 1.1
// scalars). Prints `file: Kind/name: field: problem` lines; exit code 1 when any fail.
import { readFileSync } from 'node:fs';
import { parseKubeYaml, readingDifferences, type ReadingDifference } from './kube-yaml.js';
import { kindOf, validateObject } from '../api/validate.js';

interface ValidateProblem {
  file: string;
  /** Kind/name of the object, absent when the file or document could not be read. */
  object?: string;
  /** Field path, e.g. spec.hosts[1]; absent for file and YAML errors. */
  path?: string;
  message: string;
}

export interface ValidateReport {
  valid: number;
  invalid: number;
  ignored: number;
  /** One `file: Kind/name: field: problem` line per problem (the table output). */
  lines: string[];
  /** The same problems as data (the json output). */
  problems: ValidateProblem[];
  /**
   * `file: Kind/name: field: ...` for each value Kubernetes reads otherwise than YAML 1.2 does
   * (`yes` is true, `010` is 8): what was judged, and what another reader would make of it.
   */
  notes: string[];
}

/** "read as 8 (YAML 1.1, as kubectl and the API server read it; a YAML 1.2 reader reads 10)" */
function readings(d: ReadingDifference): string {
  return `read as ${JSON.stringify(d.kube)} (YAML 1.1, as kubectl and the API server read it; a YAML 1.2 reader reads ${JSON.stringify(d.yaml12)})`;
}

export function validateFiles(files: string[], read: (f: string) => string = (f) => readFileSync(f, 'utf8')): ValidateReport {
  const report: ValidateReport = { valid: 0, invalid: 0, ignored: 0, lines: [], problems: [], notes: [] };
  for (const file of files) {
    let text: string;
    try {
      text = read(file);
    } catch (err) {
      report.invalid++;
      report.lines.push(`${file}: cannot read: ${(err as Error).message}`);
      report.problems.push({ file, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    parseKubeYaml(text).forEach((doc, i) => {
      if (doc.errors.length > 0) {
        report.invalid++;
        const message = `document ${i + 1}: YAML error: ${doc.errors[0]?.message.split('\n')[0]}`;
        report.lines.push(`${file}: ${message}`);
        report.problems.push({ file, message });
        return;
      }
      const obj: unknown = doc.toJS();
      if (obj === null || obj === undefined) return; // an empty document between separators
      const o = obj as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
      // Other kinds (Namespaces, Ingresses...) often share the file; they are not ours to judge.
      if (!kindOf(o) && !String(o.apiVersion ?? '').startsWith('multiclusterdns.kubefed.io/')) {
        report.ignored++;
        return;
      }
      const who = `${String(o.kind ?? '?')}/${String(o.metadata?.name ?? '?')}`;
      const differences = readingDifferences(doc, text);
      for (const d of differences) report.notes.push(`${file}: ${who}: ${d.path ? `${d.path}: ` : ''}${readings(d)}: quote it or write it as you mean it`);
      const problems = validateObject(obj);
      if (problems.length === 0) {
        report.valid++;
        return;
      }
      report.invalid++;
      for (const p of problems) {
        const d = differences.find((x) => x.path === p.path);
        const message = d ? `${p.message}: ${readings(d)}` : p.message;
        report.lines.push(`${file}: ${who}: ${p.path ? `${p.path}: ` : ''}${message}`);
        report.problems.push({ file, object: who, ...(p.path ? { path: p.path } : {}), message });
      }
    });
  }
  return report;
}

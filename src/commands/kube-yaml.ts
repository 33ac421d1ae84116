// YAML read as Kubernetes reads it, so `mcdns validate` judges what the API server will store.
// kubectl (and the API server, for application/yaml) converts YAML with sigs.k8s.io/yaml, a fork
// of go-yaml v2: YAML 1.1 scalars, not 1.2. `insecureSkipVerify: yes` is true there, `port: 010`
// is 8 (octal), `on` and `off` are booleans, while a YAML 1.2 reader sees the strings "yes" and
// "on" and the number 10. The yaml package's 1.1 schema reads most of it alike; where go-yaml v2
// differs, its reading is the one kept (checked against kubectl in test/e2e/hostile-inputs.test.ts):
//   - `0o17` and `0O17` are octal too, `0X1F` and `0B1` hexadecimal and binary;
//   - dates and base-60 numbers (`2001-12-14`, `1:30`) stay strings.
import { parseAllDocuments, parseDocument, type Document, type ScalarTag } from 'yaml';

const INT = 'tag:yaml.org,2002:int';

/** An integer in base `radix` after its two-character prefix; underscores are ignored, as go-yaml does. */
function radixInt(radix: number): (source: string) => number {
  return (source) => {
    const sign = source.startsWith('-') ? -1 : 1;
    const digits = source.replace(/^[-+]/, '').slice(2).replace(/_/g, '');
    return sign * parseInt(digits, radix);
  };
}

const goYamlInts: ScalarTag[] = [
  { identify: (v) => typeof v === 'number', default: true, tag: INT, format: 'OCT', test: /^[-+]?0[oO][0-7_]+$/, resolve: radixInt(8) },
  { identify: (v) => typeof v === 'number', default: true, tag: INT, format: 'HEX', test: /^[-+]?0X[0-9a-fA-F_]+$/, resolve: radixInt(16) },
  { identify: (v) => typeof v === 'number', default: true, tag: INT, format: 'BIN', test: /^[-+]?0B[01_]+$/, resolve: radixInt(2) },
];

/** The YAML 1.1 tags, as go-yaml v2 resolves plain scalars. */
function goYamlTags<T extends { tag: string; format?: string }>(tags: T[]): (T | ScalarTag)[] {
  const kept = tags.filter((t) => t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME');
  return [...kept, ...goYamlInts];
}

/** Every document of `text`, read with Kubernetes's YAML 1.1 scalars. */
export function parseKubeYaml(text: string): Document.Parsed[] {
  return parseAllDocuments(text, { version: '1.1', customTags: (tags) => goYamlTags(tags as { tag: string; format?: string }[]) as typeof tags }) as Document.Parsed[];
}

/** A value Kubernetes reads otherwise than a YAML 1.2 reader does. */
export interface ReadingDifference {
  /** Field path, e.g. spec.healthCheck.port. */
  path: string;
  /** As kubectl and the API server read it. */
  kube: unknown;
  /** As a YAML 1.2 reader (most editors' and JavaScript tools') reads it. */
  yaml12: unknown;
}

/** The values of one document (from `text`) that YAML 1.1 and 1.2 read differently. */
export function readingDifferences(doc: Document.Parsed, text: string): ReadingDifference[] {
  const [start, , end] = doc.range;
  const strict = parseDocument(text.slice(start, end));
  if (strict.errors.length > 0) return [];
  const out: ReadingDifference[] = [];
  walk(doc.toJS() as unknown, strict.toJS() as unknown, '', out);
  return out;
}

function walk(kube: unknown, yaml12: unknown, path: string, out: ReadingDifference[]): void {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !(v instanceof Date);
  if (Array.isArray(kube) && Array.isArray(yaml12) && kube.length === yaml12.length) {
    kube.forEach((v, i) => walk(v, yaml12[i], `${path}[${i}]`, out));
    return;
  }
  if (isObj(kube) && isObj(yaml12) && !Array.isArray(kube) && !Array.isArray(yaml12)) {
    const a = Object.keys(kube);
    const b = Object.keys(yaml12);
    if (a.length === b.length && a.every((k, i) => k === b[i])) {
      for (const k of a) walk(kube[k], yaml12[k], path ? `${path}.${k}` : k, out);
      return;
    }
  }
  if (JSON.stringify(kube) !== JSON.stringify(yaml12)) out.push({ path, kube, yaml12 });
}

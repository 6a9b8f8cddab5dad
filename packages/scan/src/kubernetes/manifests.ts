import { LineCounter, parseAllDocuments } from 'yaml';
import { offsetOf } from '../yaml-position.ts';

/** One Kubernetes object of a YAML file, with what is needed to point at its fields. */
export interface Manifest {
  readonly file: string;
  /** 0-based index of the document in the file. */
  readonly index: number;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly object: Record<string, unknown>;
  /** 1-based line and column of the field at `path`, or of its nearest ancestor that exists. */
  position(path: readonly (string | number)[]): { line: number; column: number };
}

export interface ParsedManifests {
  readonly manifests: readonly Manifest[];
  /** A YAML error, when the file looks like Kubernetes YAML but does not parse. */
  readonly error?: string;
}

/** Kubernetes YAML: at least one `apiVersion:` and one `kind:` at the start of a line. */
export function looksLikeKubernetes(text: string): boolean {
  return /^apiVersion:/mu.test(text) && /^kind:/mu.test(text);
}

/**
 * The Kubernetes objects of a multi-document YAML file (documents without `apiVersion` and `kind`
 * are skipped), each able to give the source position of any of its fields.
 */
export function parseManifests(file: string, text: string): ParsedManifests {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(documents)) return { manifests: [] };
  const error = documents.flatMap((doc) => doc.errors)[0];
  if (error !== undefined) {
    const at = lineCounter.linePos(error.pos[0]);
    return {
      manifests: [],
      error: `YAML error at ${at.line}:${at.col}: ${error.message.split('\n')[0] ?? ''}`,
    };
  }
  const manifests: Manifest[] = [];
  documents.forEach((doc, index) => {
    const object: unknown = doc.toJS({ maxAliasCount: 100 });
    if (typeof object !== 'object' || object === null || Array.isArray(object)) return;
    const record = object as Record<string, unknown>;
    if (typeof record['apiVersion'] !== 'string' || typeof record['kind'] !== 'string') return;
    const metadata = (record['metadata'] ?? {}) as { name?: unknown; namespace?: unknown };
    manifests.push({
      file,
      index,
      apiVersion: record['apiVersion'],
      kind: record['kind'],
      name: typeof metadata.name === 'string' ? metadata.name : '',
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
      object: record,
      position: (path) => {
        const offset = offsetOf(doc, path);
        const pos = lineCounter.linePos(offset);
        return { line: pos.line, column: pos.col };
      },
    });
  });
  return { manifests };
}

/** `containers[0].securityContext.runAsUser` → `['containers', 0, 'securityContext', 'runAsUser']`. */
export function parseFieldPath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/u.exec(part);
    if (match === null) {
      segments.push(part);
      continue;
    }
    const [, name = '', indexes = ''] = match;
    if (name !== '') segments.push(name);
    for (const index of indexes.matchAll(/\[(\d+)\]/gu)) segments.push(Number(index[1]));
  }
  return segments;
}

import type { ErrorCode } from '@rampart/errors';

/** One thing wrong (or worth a warning) in a rampart.yaml, with where it is and how to fix it. */
export interface ConfigProblem {
  code: ErrorCode;
  /** Absolute path of the file. */
  file: string;
  /** 1-based; 0 when the problem concerns the whole file (it is missing, too large, …). */
  line: number;
  /** 1-based; 0 together with `line`. */
  column: number;
  message: string;
  fix?: string;
  severity: 'error' | 'warning';
}

/** A position in the parsed data: keys of mappings and indexes of sequences. */
export type DataPath = readonly (string | number)[];

/**
 * Which part of the node at `path` a problem points at: the key (an unknown key), the value
 * (a wrong value) or the mapping itself (a key missing from it).
 */
export type Anchor = 'key' | 'value' | 'map';

/** A problem found on the data, before it is given a file position. */
export interface Finding {
  code: ErrorCode;
  path: DataPath;
  anchor: Anchor;
  message: string;
  fix?: string;
  severity?: 'error' | 'warning';
}

export function compareProblems(a: ConfigProblem, b: ConfigProblem): number {
  return (
    a.line - b.line ||
    a.column - b.column ||
    a.code.localeCompare(b.code) ||
    a.message.localeCompare(b.message)
  );
}

/** Sorts by position and drops exact repeats (same code at the same place with the same message). */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return [...problems].sort(compareProblems).filter((p) => {
    const key = `${p.line}:${p.column}:${p.code}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

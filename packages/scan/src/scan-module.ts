import type { FindingInput, ScanFailure } from './finding.ts';
import type { Rule } from './rule.ts';

/** A file of the scanned tree. */
export interface ScanFile {
  /** Relative to the scan root, with `/`: what findings show and fingerprints hash. */
  readonly path: string;
  readonly absolute: string;
}

/** What every module is handed: the files it accepted, and all the tree's files for cross-file checks. */
export interface ScanContext {
  readonly files: readonly ScanFile[];
  readonly allFiles: readonly ScanFile[];
  /** The file's text (read once per scan, shared by the modules and inline suppressions). */
  readText(file: ScanFile): Promise<string>;
}

export interface ModuleReport {
  readonly findings: readonly FindingInput[];
  /** What it could not look at: any failure makes the scan exit 2. */
  readonly failures: readonly Omit<ScanFailure, 'module'>[];
  /** How many files (or objects) it looked at, for the summary. */
  readonly scanned: number;
}

/**
 * One scanner of `rampart scan` (`dockerfile`, `k8s`, `config`, …): the files it wants, its rules,
 * and the scan. A module reports what it could not read as a failure, never as silence.
 */
export interface ScanModule {
  readonly id: string;
  readonly name: string;
  readonly rules: ReadonlyMap<string, Rule>;
  accepts(file: ScanFile): boolean;
  scan(context: ScanContext): Promise<ModuleReport>;
}

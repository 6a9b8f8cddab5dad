import type { Severity } from './severity.ts';

/** A place in a file of the scanned tree: path relative to the scan root (with `/`), 1-based. */
export interface FileLocation {
  readonly file: string;
  /** 1-based; 0 when the finding concerns the whole file. */
  readonly line: number;
  /** 1-based; 0 together with `line`. */
  readonly column: number;
}

/** A place on a running system (for `rampart probe`): the request that showed the finding. */
export interface UrlLocation {
  readonly url: string;
  /** The request's method, when the finding concerns one request. */
  readonly method?: string;
  /** The route template the URL is an instance of (`GET /orders/{id}`), when there is one. */
  readonly route?: string;
}

/** What a finding on a running system was shown by: request and answer excerpts, credentials redacted. */
export interface Evidence {
  readonly request: string;
  readonly response: string;
}

export type Location = FileLocation | UrlLocation;

export function isFileLocation(location: Location): location is FileLocation {
  return 'file' in location;
}

/**
 * What a module reports: a rule broken somewhere. `key` names the thing logically (the normalized
 * instruction, the object and field, the data path) so that the fingerprint survives edits that
 * only move lines.
 */
export interface FindingInput {
  readonly ruleId: string;
  readonly location: Location;
  readonly key: string;
  readonly message: string;
  /** A fix more precise than the rule's. */
  readonly fix?: string;
  /** A severity other than the rule's, for this occurrence. */
  readonly severity?: Severity;
  /** For a finding on a running system: what was sent and what came back. */
  readonly evidence?: Evidence;
  /** A command that shows the finding again (`curl …`); credentials as shell variables, never inlined. */
  readonly reproduction?: string;
  /** CWEs other than the rule's, for this occurrence (an advisory's). */
  readonly cwe?: readonly number[];
}

/** Why a finding does not count: an inline `rampart-ignore`, or an entry of the baseline. */
export interface Suppression {
  readonly kind: 'inline' | 'baseline';
  readonly justification: string;
  /** Where it was written: `file:line` of the comment, or the baseline's file. */
  readonly source: string;
}

/** A finding as the report shows it: the rule's explanation and a stable fingerprint added. */
export interface Finding {
  readonly ruleId: string;
  readonly module: string;
  readonly severity: Severity;
  readonly message: string;
  readonly why: string;
  readonly fix: string;
  readonly cwe: readonly number[];
  readonly location: Location;
  /** Rule + file + logical key, hashed: the same finding on a re-run, whatever line it moved to. */
  readonly fingerprint: string;
  readonly suppression?: Suppression;
  readonly evidence?: Evidence;
  readonly reproduction?: string;
}

/** A module that could not look at something: the scan is incomplete, never "clean". */
export interface ScanFailure {
  readonly module: string;
  readonly file?: string;
  readonly message: string;
}

import semver from 'semver';
import type { Severity } from '../severity.ts';

/** A range of affected versions, and the first version that fixes it when there is one. */
export interface AffectedRange {
  /** A semver range (`>=1.3.2 <1.7.4`). */
  readonly range: string;
  readonly fixed?: string;
  /**
   * The source gives no fixed version but its range ends where the fix begins (the npm registry's
   * `vulnerable_versions`): the fix is read from the range's upper bound. Not for OSV
   * `last_affected`, which says nothing about a fix.
   */
  readonly fixedFromRange?: boolean;
}

/** One published advisory for one package, from the npm registry or an OSV export. */
export interface Advisory {
  /** `GHSA-…` when the advisory has one (the npm registry's and OSV's agree), else the source's id. */
  readonly id: string;
  readonly url: string;
  readonly title: string;
  readonly severity: Severity;
  readonly cwe: readonly number[];
  readonly affected: readonly AffectedRange[];
}

/** What to ask: every package name with the versions locked. */
export type AdvisoryQuery = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Where advisories come from. `lookup` returns, per name, the advisories that may affect one of the
 * asked versions; it throws an `AdvisorySourceError` when it could not look (never an empty answer).
 */
export interface AdvisorySource {
  /** For messages: `https://registry.npmjs.org (bulk advisories)`, `OSV export at ./osv`. */
  readonly description: string;
  /** What to do when it cannot answer (a failure's message ends with it). */
  readonly remedy: string;
  lookup(query: AdvisoryQuery): Promise<ReadonlyMap<string, readonly Advisory[]>>;
}

/** The advisory source could not be asked or answered something we cannot read. */
export class AdvisorySourceError extends Error {
  override readonly name = 'AdvisorySourceError';
}

const SEVERITY_WORDS: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  high: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  info: 'info',
  none: 'info',
};

/** The npm/GitHub severity words (`moderate`, `HIGH`…) as ours; undefined for anything else. */
export function severityOf(word: unknown): Severity | undefined {
  return typeof word === 'string' ? SEVERITY_WORDS[word.toLowerCase()] : undefined;
}

/** `['CWE-79', 'CWE-1321']` → `[79, 1321]`, ignoring what is not a CWE id. */
export function cweNumbers(ids: unknown): number[] {
  if (!Array.isArray(ids)) return [];
  return ids.flatMap((id) => {
    const match = typeof id === 'string' ? /^CWE-(\d+)$/u.exec(id) : null;
    return match?.[1] === undefined ? [] : [Number(match[1])];
  });
}

/** The GHSA id in an advisory URL (`https://github.com/advisories/GHSA-…`), if any. */
export function ghsaOf(url: string): string | undefined {
  return /\b(GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\b/u.exec(url)?.[1];
}

/**
 * The affected range a version falls in, or undefined when the advisory does not affect it.
 * Pre-releases count (`1.0.0-rc.1` is inside `<1.0.1`).
 */
export function affectedBy(advisory: Advisory, version: string): AffectedRange | undefined {
  return advisory.affected.find((affected) =>
    semver.satisfies(version, affected.range, { includePrerelease: true }),
  );
}

/**
 * The first fixed version a semver range implies for a version inside it: the upper bound of the
 * comparator set that holds the version (`<1.20.3` → `1.20.3`; `<=1.7.3` → `>1.7.3`); undefined
 * when that set has no upper bound.
 *
 * @example
 * fixedVersionOf('>=1.3.2 <=1.7.3 || >=2.0.0 <2.1.1', '2.0.5'); // '2.1.1'
 */
export function fixedVersionOf(range: string, version: string): string | undefined {
  let parsed: semver.Range;
  try {
    parsed = new semver.Range(range, { includePrerelease: true });
  } catch {
    return undefined;
  }
  for (const set of parsed.set) {
    if (!set.every((comparator) => comparator.test(version))) continue;
    const upper = set.find((c) => c.operator === '<' || c.operator === '<=');
    if (upper === undefined) return undefined;
    return upper.operator === '<' ? upper.semver.version : `>${upper.semver.version}`;
  }
  return undefined;
}

/** Whether a string is a semver range `semver` can read. */
export function isRange(range: string): boolean {
  return semver.validRange(range, { includePrerelease: true }) !== null;
}

import { readFile, rename, writeFile } from 'node:fs/promises';
import { isFileLocation, type Finding } from './finding.ts';
import { suppressionWithoutReason } from './framework-rules.ts';

/** One accepted finding: its fingerprint, and why it is accepted. */
export interface BaselineEntry {
  readonly fingerprint: string;
  readonly ruleId: string;
  /** `file:line` or the URL when it was written, for the reader; not matched. */
  readonly location: string;
  readonly reason: string;
}

export interface Baseline {
  readonly version: 1;
  readonly findings: readonly BaselineEntry[];
}

/** Thrown for a baseline file that cannot be read or is not one: the scan cannot tell what is new. */
export class BaselineError extends Error {
  override readonly name = 'BaselineError';
}

/**
 * Reads a baseline written by `--write-baseline` (or by hand).
 *
 * @example
 * const baseline = await readBaseline('.rampart-scan-baseline.json');
 */
export async function readBaseline(file: string): Promise<Baseline> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new BaselineError(
      `cannot read the baseline ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isBaseline(data)) {
    throw new BaselineError(
      `${file} is not a rampart scan baseline: expected { "version": 1, "findings": [{ "fingerprint", "ruleId", "location", "reason" }] }`,
    );
  }
  return data;
}

function isBaseline(data: unknown): data is Baseline {
  if (typeof data !== 'object' || data === null) return false;
  const { version, findings } = data as { version?: unknown; findings?: unknown };
  return (
    version === 1 &&
    Array.isArray(findings) &&
    findings.every(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        ['fingerprint', 'ruleId', 'location', 'reason'].every(
          (key) => typeof (entry as Record<string, unknown>)[key] === 'string',
        ),
    )
  );
}

/**
 * `findings` with those the baseline accepts marked suppressed (kind `baseline`, its reason as the
 * justification). An entry without a reason is refused: its finding stays open and a
 * `scan/suppression-without-reason` finding at the baseline file says so. Findings already
 * suppressed (inline) are left as they are.
 *
 * @example
 * applyBaseline(findings, { file: '.rampart-scan-baseline.json', baseline: await readBaseline(file) });
 */
export function applyBaseline(
  findings: readonly Finding[],
  baseline: { readonly file: string; readonly baseline: Baseline },
): Finding[] {
  const accepted = new Map(baseline.baseline.findings.map((entry) => [entry.fingerprint, entry]));
  return findings.flatMap((finding) => {
    const entry = finding.suppression === undefined ? accepted.get(finding.fingerprint) : undefined;
    if (entry === undefined) return [finding];
    if (entry.reason.trim() === '') {
      const at = { file: baseline.file, line: 0, column: 0 };
      return [suppressionWithoutReason(finding.module, at, finding.ruleId, finding.fingerprint), finding];
    }
    return [
      { ...finding, suppression: { kind: 'baseline', justification: entry.reason, source: baseline.file } },
    ];
  });
}

/** The reason `--write-baseline` gives an entry it did not find in the previous baseline. */
export function defaultBaselineReason(date: Date): string {
  return `present when the baseline was written (${date.toISOString().slice(0, 10)}); not yet triaged`;
}

/**
 * A baseline of every unsuppressed finding — findings already baselined keep their reason — written
 * atomically (temporary file, then rename), sorted so that it diffs well.
 */
export async function writeBaseline(
  file: string,
  findings: readonly Finding[],
  previous: Baseline | undefined,
  now: Date = new Date(),
): Promise<Baseline> {
  const reasons = new Map(previous?.findings.map((entry) => [entry.fingerprint, entry.reason]));
  const entries = new Map<string, BaselineEntry>();
  for (const finding of findings) {
    if (finding.suppression?.kind === 'inline') continue;
    // A URL names the run's target and objects: its route template is what a reader looks for.
    const location = isFileLocation(finding.location)
      ? `${finding.location.file}:${finding.location.line}`
      : (finding.location.route ?? finding.location.url);
    entries.set(finding.fingerprint, {
      fingerprint: finding.fingerprint,
      ruleId: finding.ruleId,
      location,
      reason: reasons.get(finding.fingerprint) ?? defaultBaselineReason(now),
    });
  }
  const baseline: Baseline = {
    version: 1,
    findings: [...entries.values()].sort(
      (a, b) => a.ruleId.localeCompare(b.ruleId) || a.location.localeCompare(b.location),
    ),
  };
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(baseline, null, 2)}\n`);
  await rename(temporary, file);
  return baseline;
}

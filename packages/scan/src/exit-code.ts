import { atLeast, type Severity } from './severity.ts';
import type { ScanResult } from './run-scan.ts';
import type { Finding } from './finding.ts';

/** Every finding of the scan, suppressed ones too, in module order. */
export function allFindings(result: ScanResult): Finding[] {
  return result.modules.flatMap((module) => module.findings);
}

/** The findings that count: not suppressed, at `failOn` or worse. */
export function failingFindings(result: ScanResult, failOn: Severity): Finding[] {
  return allFindings(result).filter(
    (finding) => finding.suppression === undefined && atLeast(finding.severity, failOn),
  );
}

/**
 * 2 when any module could not look (the scan is incomplete: never "clean"), else 1 when an
 * unsuppressed finding is at `failOn` or worse, else 0.
 */
export function exitCode(result: ScanResult, failOn: Severity): 0 | 1 | 2 {
  if (result.modules.some((module) => module.failures.length > 0)) return 2;
  return failingFindings(result, failOn).length > 0 ? 1 : 0;
}

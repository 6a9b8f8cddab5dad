import { allFindings, exitCode } from '../exit-code.ts';
import type { Finding, ScanFailure } from '../finding.ts';
import type { ScanResult } from '../run-scan.ts';
import { SEVERITIES, type Severity } from '../severity.ts';

export interface JsonReport {
  readonly version: 1;
  readonly root: string;
  readonly failOn: Severity;
  readonly exitCode: 0 | 1 | 2;
  readonly modules: readonly { id: string; name: string; scanned: number; milliseconds: number }[];
  readonly counts: Readonly<Record<Severity, number>>;
  /** Unsuppressed findings. */
  readonly findings: readonly Finding[];
  readonly suppressed: readonly Finding[];
  readonly failures: readonly ScanFailure[];
}

/** `--format json`: the whole result, one object; `findings` are the unsuppressed ones. */
export function jsonReport(result: ScanResult, failOn: Severity): JsonReport {
  const findings = allFindings(result);
  const open = findings.filter((f) => f.suppression === undefined);
  return {
    version: 1,
    root: result.root,
    failOn,
    exitCode: exitCode(result, failOn),
    modules: result.modules.map((m) => ({
      id: m.id,
      name: m.name,
      scanned: m.scanned,
      milliseconds: Math.round(m.milliseconds),
    })),
    counts: Object.fromEntries(
      SEVERITIES.map((s) => [s, open.filter((f) => f.severity === s).length]),
    ) as Record<Severity, number>,
    findings: open,
    suppressed: findings.filter((f) => f.suppression !== undefined),
    failures: result.modules.flatMap((m) => m.failures),
  };
}

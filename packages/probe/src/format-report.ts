import {
  exitCode,
  jsonReport,
  sarifReport,
  textReport,
  type JsonReport,
  type SarifLog,
  type SarifTool,
  type ScanResult,
  type Severity,
} from '@rampart/scan';
import { PROBE_DOCS_URL, PROBE_MODULE } from './rules.ts';
import type { ProbeReport } from './run-probe.ts';

type Paint = NonNullable<Parameters<typeof textReport>[2]>;

/**
 * The probe's run as a result of `@rampart/scan`'s output layer: one module whose findings are on
 * URLs, `root` the target's origin. The probe that could not look never gets here (it throws).
 */
export function probeScanResult(report: ProbeReport): ScanResult {
  return {
    root: report.target,
    files: 0,
    modules: [
      {
        ...PROBE_MODULE,
        findings: report.findings,
        failures: [],
        scanned: report.requests,
        milliseconds: report.durationMs,
      },
    ],
  };
}

/** 0 nothing unsuppressed at or above `failOn`, else 1 — the framework's rule. */
export function probeExitCode(report: ProbeReport, failOn: Severity): 0 | 1 | 2 {
  return exitCode(probeScanResult(report), failOn);
}

/**
 * The terminal report: the framework's (grouped by severity; URL, rule, CWE, what happened, why,
 * fix, the evidence and the `curl` to reproduce it; suppressions with their reasons), then the
 * checks not made and why, and a summary with the requests sent.
 */
export function formatText(report: ProbeReport, failOn: Severity, paint?: Paint): string {
  return textReport(probeScanResult(report), failOn, paint, {
    heading: `rampart probe ${report.target}${report.allowWrites ? ' (writes allowed)' : ''}`,
    notChecked: report.skipped,
    summaryNote: `${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s`,
  });
}

/** `--format json`: the framework's report plus the target, requests, duration and checks not made. */
export interface ProbeJsonReport extends JsonReport {
  readonly tool: 'rampart probe';
  readonly target: string;
  readonly requests: number;
  readonly durationMs: number;
  readonly allowWrites: boolean;
  readonly skipped: ProbeReport['skipped'];
}

export function formatJson(report: ProbeReport, failOn: Severity): ProbeJsonReport {
  return {
    tool: 'rampart probe',
    target: report.target,
    requests: report.requests,
    durationMs: report.durationMs,
    allowWrites: report.allowWrites,
    skipped: report.skipped,
    ...jsonReport(probeScanResult(report), failOn),
  };
}

/**
 * The SARIF driver of the probe: one run per target, `automationDetails.id`
 * `rampart-probe/<origin>/`, so GitHub keeps one alert set per target probed.
 */
export function probeSarifTool(target: string): SarifTool {
  return {
    name: 'rampart probe',
    informationUri: PROBE_DOCS_URL,
    automationId: () => `rampart-probe/${target}/`,
  };
}

/** `--format sarif`: SARIF 2.1.0, results on URLs, evidence and `curl` in each result's properties. */
export function formatSarif(report: ProbeReport): SarifLog {
  return sarifReport(probeScanResult(report), probeSarifTool(report.target));
}

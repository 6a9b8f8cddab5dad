import type { Finding } from '../finding.ts';
import { SEVERITIES, type Severity } from '../severity.ts';
import { allFindings, exitCode, failingFindings } from '../exit-code.ts';
import type { ScanResult } from '../run-scan.ts';
import { locationText } from './location-text.ts';

type Paint = (
  color: 'red' | 'yellow' | 'blue' | 'gray' | 'green' | 'bold' | 'magenta',
  text: string,
) => string;

const SEVERITY_COLOR = {
  critical: 'magenta',
  high: 'red',
  medium: 'yellow',
  low: 'blue',
  info: 'gray',
} as const satisfies Record<Severity, Parameters<Paint>[0]>;

/** What a report of something other than a scanned tree (`rampart probe`'s) says differently. */
export interface TextReportOptions {
  /** The first line, in place of `rampart scan <root> (<n> files; …)`. */
  readonly heading?: string;
  /** Checks that were not made, and why (not failures: the tool chose not to, or lacked a credential). */
  readonly notChecked?: readonly { readonly check: string; readonly reason: string }[];
  /** Appended to the summary line in parentheses (`412 requests in 8.6 s`). */
  readonly summaryNote?: string;
}

/**
 * The terminal report: findings grouped by severity, worst first, each with where, the rule, why it
 * matters and how to fix it (and, found on a running system, the evidence and the command that
 * reproduces it); then every suppression with its reason; then what could not be looked at; then
 * one summary line with the exit status.
 */
export function textReport(
  result: ScanResult,
  failOn: Severity,
  paint: Paint = (_, text) => text,
  options: TextReportOptions = {},
): string {
  const out: string[] = [];
  const modules = result.modules.map((m) => `${m.id}: ${m.scanned}`).join(', ');
  out.push(
    options.heading === undefined
      ? paint('bold', `rampart scan ${result.root}`) +
          paint('gray', ` (${result.files} files; ${modules} scanned)`)
      : paint('bold', options.heading),
  );
  const findings = allFindings(result);
  const open = findings.filter((f) => f.suppression === undefined);
  for (const severity of SEVERITIES) {
    const group = open.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push(
      '',
      paint(SEVERITY_COLOR[severity], paint('bold', `${severity.toUpperCase()} (${group.length})`)),
    );
    for (const finding of sortByLocation(group)) out.push(...findingLines(finding, paint));
  }
  const suppressed = findings.filter((f) => f.suppression !== undefined);
  if (suppressed.length > 0) {
    out.push('', paint('bold', `Suppressed (${suppressed.length})`));
    for (const finding of sortByLocation(suppressed)) {
      const s = finding.suppression;
      if (s === undefined) continue;
      out.push(
        `  ${locationText(finding.location)}  ${finding.ruleId}  ${paint('gray', `[${finding.severity}]`)}`,
        `      ${s.kind === 'inline' ? 'rampart-ignore' : 'baseline'} (${s.source}): ${s.justification}`,
      );
    }
  }
  const failures = result.modules.flatMap((m) => m.failures);
  if (failures.length > 0) {
    out.push('', paint('red', paint('bold', `Could not look (${failures.length})`)));
    for (const failure of failures) {
      out.push(
        `  ${failure.module}${failure.file === undefined ? '' : `  ${failure.file}`}: ${failure.message}`,
      );
    }
  }
  const notChecked = options.notChecked ?? [];
  if (notChecked.length > 0) {
    out.push('', paint('gray', `Not checked (${notChecked.length})`));
    for (const s of notChecked) out.push(paint('gray', `  - ${s.check}: ${s.reason}`));
  }
  out.push('', summary(result, open, suppressed.length, failOn, paint, options.summaryNote));
  return `${out.join('\n')}\n`;
}

function findingLines(finding: Finding, paint: Paint): string[] {
  const cwe =
    finding.cwe.length === 0 ? '' : paint('gray', ` (${finding.cwe.map((n) => `CWE-${n}`).join(', ')})`);
  const lines = [
    `  ${locationText(finding.location)}  ${paint('bold', finding.ruleId)}${cwe}`,
    `      ${finding.message}`,
    `      ${paint('gray', 'why:')} ${finding.why}`,
    `      ${paint('gray', 'fix:')} ${finding.fix}`,
  ];
  const indent = (text: string, prefix: string): string[] =>
    text.split('\n').map((line) => `${prefix}${line}`);
  if (finding.evidence !== undefined)
    lines.push(
      `      ${paint('gray', 'evidence:')}`,
      ...indent(finding.evidence.request, '        > '),
      ...indent(finding.evidence.response, '        < '),
    );
  if (finding.reproduction !== undefined)
    lines.push(`      ${paint('gray', 'reproduce:')}`, ...indent(finding.reproduction, '        '));
  return lines;
}

function summary(
  result: ScanResult,
  open: readonly Finding[],
  suppressed: number,
  failOn: Severity,
  paint: Paint,
  note: string | undefined,
): string {
  const code = exitCode(result, failOn);
  const counts = SEVERITIES.flatMap((s) => {
    const n = open.filter((f) => f.severity === s).length;
    return n === 0 ? [] : [`${n} ${s}`];
  });
  const tail = [
    counts.length === 0 ? 'no findings' : counts.join(', '),
    ...(suppressed > 0 ? [`${suppressed} suppressed`] : []),
    ...(note === undefined ? [] : [note]),
  ].join('; ');
  if (code === 2) {
    return `${paint('red', '✗')} incomplete: a module could not look (${tail}) — exit 2`;
  }
  if (code === 1) {
    const failing = failingFindings(result, failOn).length;
    return `${paint('red', '✗')} ${failing} finding${failing === 1 ? '' : 's'} at or above ${failOn} (${tail}) — exit 1`;
  }
  return `${paint('green', '✓')} nothing at or above ${failOn} (${tail}) — exit 0`;
}

function sortByLocation(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => {
    const where = locationText(a.location).localeCompare(locationText(b.location), 'en', { numeric: true });
    return where || a.ruleId.localeCompare(b.ruleId);
  });
}

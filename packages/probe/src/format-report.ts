import { SEVERITIES, type Severity } from './finding.ts';
import { probeRule } from './rules.ts';
import type { ProbeReport } from './run-probe.ts';

type Paint = (code: number, text: string) => string;
const COLORS: Record<Severity, number> = { critical: 35, high: 31, medium: 33, low: 36, info: 90 };

/**
 * The terminal report: findings grouped by severity, each with the URL, the rule and CWE, what
 * happened, why it matters, how to fix it, the evidence and the `curl` to reproduce it; then what
 * was skipped and a summary line.
 */
export function formatText(report: ProbeReport, options: { color: boolean }): string {
  const paint: Paint = (code, text) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const out: string[] = [
    `rampart probe ${report.target}${report.allowWrites ? ' (writes allowed)' : ''}`,
    '',
  ];
  for (const severity of SEVERITIES) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push(paint(COLORS[severity], `${severity.toUpperCase()} (${group.length})`), '');
    for (const f of group) {
      const rule = probeRule(f.ruleId);
      out.push(
        `  ${paint(1, f.title)}  [${f.ruleId}, CWE-${f.cwe}]`,
        `  ${f.method} ${f.url}${f.route === undefined ? '' : `  (route ${f.route})`}`,
        `  ${f.message}`,
        `  why: ${rule.why}`,
        `  fix: ${rule.fix}`,
        '  evidence:',
        ...indent(f.evidence.request, '    > '),
        ...indent(f.evidence.response, '    < '),
        '  reproduce:',
        ...indent(f.reproduction, '    '),
        '',
      );
    }
  }
  if (report.skipped.length > 0) {
    out.push(paint(90, `not checked (${report.skipped.length})`));
    for (const s of report.skipped) out.push(paint(90, `  - ${s.check}: ${s.reason}`));
    out.push('');
  }
  const counts = SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const seconds = (report.durationMs / 1000).toFixed(1);
  out.push(
    report.findings.length === 0
      ? `${paint(32, '✓')} no findings (${report.requests} requests in ${seconds} s)`
      : `${paint(31, '✗')} ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}: ${counts.join(', ')} (${report.requests} requests in ${seconds} s)`,
  );
  return `${out.join('\n')}\n`;
}

function indent(text: string, prefix: string): string[] {
  return text.split('\n').map((line) => `${prefix}${line}`);
}

/** `--format json`: the report as one JSON document (findings with rule, CWE, evidence, curl). */
export function formatJson(report: ProbeReport): string {
  return `${JSON.stringify(
    {
      tool: 'rampart-probe',
      target: report.target,
      durationMs: report.durationMs,
      requests: report.requests,
      allowWrites: report.allowWrites,
      findings: report.findings.map((f) => ({ ...f, help: probeRule(f.ruleId) })),
      skipped: report.skipped,
    },
    null,
    2,
  )}\n`;
}

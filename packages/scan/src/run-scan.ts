import { readFile } from 'node:fs/promises';
import type { Baseline } from './baseline.ts';
import { discoverFiles } from './discover-files.ts';
import {
  isFileLocation,
  type Finding,
  type FindingInput,
  type ScanFailure,
  type Suppression,
} from './finding.ts';
import { findingFingerprint } from './fingerprint.ts';
import { FRAMEWORK_RULES, SUPPRESSION_WITHOUT_REASON } from './framework-rules.ts';
import { inlineIgnoreFor } from './inline-suppressions.ts';
import type { Rule } from './rule.ts';
import type { ScanContext, ScanFile, ScanModule } from './scan-module.ts';

export interface ScanOptions {
  /** A directory (or one file) to scan. */
  readonly root: string;
  readonly modules: readonly ScanModule[];
  /** Paths (relative to root) to skip, besides the ignore file's. */
  readonly exclude?: readonly string[];
  readonly baseline?: { readonly file: string; readonly baseline: Baseline };
}

/** What one module did: its rules (for SARIF), its findings (suppressed ones too) and failures. */
export interface ModuleOutcome {
  readonly id: string;
  readonly name: string;
  readonly rules: ReadonlyMap<string, Rule>;
  readonly findings: readonly Finding[];
  readonly failures: readonly ScanFailure[];
  readonly scanned: number;
  readonly milliseconds: number;
}

export interface ScanResult {
  /** Absolute path of what was scanned. */
  readonly root: string;
  readonly files: number;
  readonly modules: readonly ModuleOutcome[];
}

/**
 * Runs each module on the files it accepts, turns its reports into findings (the rule's why and fix,
 * a fingerprint), then applies inline `rampart-ignore` comments and the baseline. A module that
 * throws is a failure of that module, not a crash, and never an empty result.
 *
 * @example
 * const result = await runScan({ root: '.', modules: [dockerfileModule] });
 * exitCode(result, 'high'); // 0, 1 or 2
 */
export async function runScan(options: ScanOptions): Promise<ScanResult> {
  const discovered = await discoverFiles(options.root, options.exclude);
  const texts = new Map<string, Promise<string>>();
  const readText = (file: ScanFile): Promise<string> => {
    let text = texts.get(file.absolute);
    if (text === undefined) {
      text = readFile(file.absolute, 'utf8');
      texts.set(file.absolute, text);
    }
    return text;
  };
  const byPath = new Map(discovered.files.map((file) => [file.path, file]));
  const outcomes: ModuleOutcome[] = [];
  for (const module of options.modules) {
    const started = performance.now();
    const context: ScanContext = {
      files: discovered.files.filter((file) => module.accepts(file)),
      allFiles: discovered.files,
      readText,
    };
    let findings: Finding[] = [];
    let failures: ScanFailure[];
    let scanned = 0;
    try {
      const report = await module.scan(context);
      scanned = report.scanned;
      failures = report.failures.map((failure) => ({ module: module.id, ...failure }));
      findings = await finish(
        module,
        report.findings,
        (path) => byPath.get(path),
        readText,
        options.baseline,
      );
    } catch (error) {
      failures = [{ module: module.id, message: `the module failed: ${describe(error)}` }];
    }
    outcomes.push({
      id: module.id,
      name: module.name,
      rules: module.rules,
      findings,
      failures,
      scanned,
      milliseconds: performance.now() - started,
    });
  }
  return { root: discovered.root, files: discovered.files.length, modules: outcomes };
}

async function finish(
  module: ScanModule,
  inputs: readonly FindingInput[],
  fileAt: (path: string) => ScanFile | undefined,
  readText: (file: ScanFile) => Promise<string>,
  baseline: ScanOptions['baseline'],
): Promise<Finding[]> {
  const seen = new Map<string, number>();
  const findings: Finding[] = [];
  const accepted = new Map(baseline?.baseline.findings.map((entry) => [entry.fingerprint, entry]));
  for (const input of inputs) {
    const rule = module.rules.get(input.ruleId) ?? FRAMEWORK_RULES.get(input.ruleId);
    if (rule === undefined) throw new TypeError(`module ${module.id} reported unknown rule ${input.ruleId}`);
    // The same rule on the same logical thing twice in one file (two identical RUN lines) stays two findings.
    const base = findingFingerprint(input.ruleId, input.location, input.key);
    const occurrence = (seen.get(base) ?? 0) + 1;
    seen.set(base, occurrence);
    const fingerprint =
      occurrence === 1
        ? base
        : findingFingerprint(input.ruleId, input.location, `${input.key}#${occurrence}`);
    const finding: Finding = {
      ruleId: rule.id,
      module: module.id,
      severity: input.severity ?? rule.severity,
      message: input.message,
      why: rule.why,
      fix: input.fix ?? rule.fix,
      cwe: rule.cwe ?? [],
      location: input.location,
      fingerprint,
    };
    let suppression: Suppression | undefined;
    const location = input.location;
    const file = isFileLocation(location) && location.line > 0 ? fileAt(location.file) : undefined;
    if (isFileLocation(location) && file !== undefined) {
      const lines = (await readText(file)).split(/\r?\n/u);
      const ignore = inlineIgnoreFor(lines, location.line, rule.id);
      if (ignore !== undefined && ignore.reason !== '') {
        suppression = {
          kind: 'inline',
          justification: ignore.reason,
          source: `${location.file}:${ignore.line}`,
        };
      } else if (ignore !== undefined) {
        findings.push(
          reasonless(module.id, { file: location.file, line: ignore.line, column: 1 }, rule.id, fingerprint),
        );
      }
    }
    const entry = accepted.get(fingerprint);
    if (suppression === undefined && entry !== undefined && baseline !== undefined) {
      if (entry.reason.trim() !== '') {
        suppression = { kind: 'baseline', justification: entry.reason, source: baseline.file };
      } else {
        findings.push(
          reasonless(module.id, { file: baseline.file, line: 0, column: 0 }, rule.id, fingerprint),
        );
      }
    }
    findings.push(suppression === undefined ? finding : { ...finding, suppression });
  }
  return findings;
}

function reasonless(
  module: string,
  location: { file: string; line: number; column: number },
  ruleId: string,
  fingerprint: string,
): Finding {
  const rule = FRAMEWORK_RULES.get(SUPPRESSION_WITHOUT_REASON);
  if (rule === undefined) throw new TypeError(`${SUPPRESSION_WITHOUT_REASON} is not registered`);
  return {
    ruleId: rule.id,
    module,
    severity: rule.severity,
    message: `the suppression of ${ruleId} (finding ${fingerprint}) gives no reason, so it is refused`,
    why: rule.why,
    fix: rule.fix,
    cwe: [],
    location,
    fingerprint: findingFingerprint(rule.id, location, fingerprint),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

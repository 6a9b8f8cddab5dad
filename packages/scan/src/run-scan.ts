import { readFile } from 'node:fs/promises';
import { applyBaseline, type Baseline } from './baseline.ts';
import { discoverFiles } from './discover-files.ts';
import { isFileLocation, type Finding, type FindingInput, type ScanFailure } from './finding.ts';
import { suppressionWithoutReason } from './framework-rules.ts';
import { inlineIgnoreFor } from './inline-suppressions.ts';
import { resolveFindings } from './resolve-findings.ts';
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
      findings = await finish(module, report.findings, (path) => byPath.get(path), readText);
      if (options.baseline !== undefined) findings = applyBaseline(findings, options.baseline);
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

/** The module's reports as findings, with the inline `rampart-ignore` comments applied. */
async function finish(
  module: ScanModule,
  inputs: readonly FindingInput[],
  fileAt: (path: string) => ScanFile | undefined,
  readText: (file: ScanFile) => Promise<string>,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const finding of resolveFindings(module, inputs)) {
    const location = finding.location;
    const file = isFileLocation(location) && location.line > 0 ? fileAt(location.file) : undefined;
    if (!isFileLocation(location) || file === undefined) {
      findings.push(finding);
      continue;
    }
    const lines = (await readText(file)).split(/\r?\n/u);
    const ignore = inlineIgnoreFor(lines, location.line, finding.ruleId);
    if (ignore !== undefined && ignore.reason !== '') {
      const source = `${location.file}:${ignore.line}`;
      findings.push({ ...finding, suppression: { kind: 'inline', justification: ignore.reason, source } });
      continue;
    }
    if (ignore !== undefined) {
      const at = { file: location.file, line: ignore.line, column: 1 };
      findings.push(suppressionWithoutReason(module.id, at, finding.ruleId, finding.fingerprint));
    }
    findings.push(finding);
  }
  return findings;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

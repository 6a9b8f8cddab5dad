import { resolve } from 'node:path';
import { checkInlineSecret, semanticChecks } from './checks/index.ts';
import { deepFreeze } from './deep-freeze.ts';
import { sortProblems, type ConfigProblem, type Finding } from './problem.ts';
import type { RampartConfig } from './schema.ts';
import { validateSchema } from './validate-schema.ts';
import { parseYaml, type YamlSource } from './yaml-source.ts';

/** The outcome of loading a rampart.yaml: a frozen config and its warnings, or every problem. */
export type LoadResult =
  | { ok: true; config: RampartConfig; problems: ConfigProblem[]; file: string }
  | { ok: false; problems: ConfigProblem[]; file: string };

/** Files larger than this are refused before parsing. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Parses, validates and checks a rampart.yaml given as text. `file` appears in the problems and
 * is the base for `${file:}` references. Never throws for bad content: every problem is returned
 * at once, sorted by position. Semantic checks run once the schema check passes (they rely on
 * its shape); the inline-secret check always runs.
 *
 * @example
 * const result = parseConfig(text, 'rampart.yaml');
 * if (!result.ok) for (const p of result.problems) console.error(formatProblem(p));
 */
export function parseConfig(text: string, file: string): LoadResult {
  const absolute = resolve(file);
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    return { ok: false, file: absolute, problems: [tooLarge(absolute)] };
  }
  const source = parseYaml(text);
  if (source.issues.length > 0) {
    const problems = source.issues.map((issue): ConfigProblem => ({
      code: 'CFG_YAML_SYNTAX',
      file: absolute,
      severity: 'error',
      ...issue,
    }));
    return { ok: false, file: absolute, problems: sortProblems(problems) };
  }
  const findings = [...validateSchema(source.data), ...checkInlineSecret(source.data)];
  const schemaValid = !findings.some((f) => f.code !== 'CFG_INLINE_SECRET');
  if (schemaValid) {
    const config = source.data as RampartConfig;
    for (const check of semanticChecks) findings.push(...check(config));
  }
  const problems = sortProblems(findings.map((f) => toProblem(f, source, absolute)));
  if (problems.some((p) => p.severity === 'error')) return { ok: false, file: absolute, problems };
  return { ok: true, file: absolute, problems, config: deepFreeze(source.data as RampartConfig) };
}

export function tooLarge(file: string): ConfigProblem {
  return {
    code: 'CFG_INVALID_VALUE',
    file,
    line: 0,
    column: 0,
    severity: 'error',
    message: `the file is larger than ${MAX_CONFIG_BYTES / 1024} KiB`,
    fix: 'a rampart.yaml describes services, not data: keep large schemas and policies out of it',
  };
}

function toProblem(finding: Finding, source: YamlSource, file: string): ConfigProblem {
  const { line, column } = source.locate(finding.path, finding.anchor);
  const problem: ConfigProblem = {
    code: finding.code,
    file,
    line,
    column,
    message: finding.message,
    severity: finding.severity ?? 'error',
  };
  if (finding.fix !== undefined) problem.fix = finding.fix;
  return problem;
}

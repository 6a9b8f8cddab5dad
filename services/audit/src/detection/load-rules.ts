import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import type { AuditConfig } from '@rampart/config';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { compileRule, type Rule, type ValidRuleSource } from './rule.ts';
import { RuleSchema } from './rule-schema.ts';

/** The rule pack shipped with the audit service (`services/audit/rules/`). */
export const SHIPPED_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

/** A rule that cannot be used: names the file, the rule and the field. Nothing is loaded. */
export class DetectionRuleError extends Error {
  readonly file: string;
  readonly rule: string | undefined;
  readonly field: string;

  constructor(
    file: string,
    rule: string | undefined,
    field: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: rule ${rule === undefined ? '(no id)' : `"${rule}"`}: ${field}: ${problem}`, options);
    this.name = 'DetectionRuleError';
    this.file = file;
    this.rule = rule;
    this.field = field;
  }
}

/**
 * One rule from its YAML text: parsed, checked against `RuleSchema` (the first problem names the
 * field), checked for combinations the schema cannot express, and compiled.
 *
 * @example
 * const rule = parseRule(readFileSync('rules/brute-force.yaml', 'utf8'), 'rules/brute-force.yaml');
 */
export function parseRule(text: string, file: string): Rule {
  let data: unknown;
  try {
    data = parseYaml(text, { uniqueKeys: true, maxAliasCount: 0 });
  } catch (error) {
    const where = error instanceof YAMLParseError ? `line ${error.linePos?.[0].line ?? '?'}` : '(file)';
    throw new DetectionRuleError(file, undefined, where, 'not valid YAML', { cause: error });
  }
  const id =
    typeof data === 'object' && data !== null && typeof (data as { id?: unknown }).id === 'string'
      ? (data as { id: string }).id
      : undefined;
  const first = Value.Errors(RuleSchema, data).First();
  if (first !== undefined) {
    const field = first.path === '' ? '(rule)' : first.path.slice(1).replaceAll('/', '.');
    throw new DetectionRuleError(file, id, field, problemOf(first.schema, first.message));
  }
  const source = data as ValidRuleSource;
  const threshold = source.threshold;
  if (threshold !== undefined) {
    const grouped = new Set(threshold.groupBy);
    if (threshold.distinct !== undefined && grouped.has(threshold.distinct)) {
      throw new DetectionRuleError(
        file,
        id,
        'threshold.distinct',
        'is also a groupBy field (always 1 value)',
      );
    }
    for (const field of threshold.groupBy) {
      if (threshold.minDistinct?.[field] !== undefined) {
        throw new DetectionRuleError(
          file,
          id,
          `threshold.minDistinct.${field}`,
          'is also a groupBy field (always 1 value)',
        );
      }
    }
  }
  return compileRule(source);
}

/**
 * Every `*.yaml` rule in `dir`, sorted by file name; ids must be unique across the directory.
 *
 * @example
 * const rules = loadRules(SHIPPED_RULES_DIR);
 */
export function loadRules(dir: string): Rule[] {
  return checkUnique(loadRuleFiles(dir)).map(({ rule }) => rule);
}

/**
 * The rules `audit.rules` asks for: the shipped pack unless `shipped: false`, then every rule in
 * `dir` (relative to rampart.yaml). An id used twice — in one directory or across the two — is
 * refused naming both files: to change a shipped rule, turn the pack off and copy it.
 *
 * @example
 * const rules = loadConfiguredRules(config.audit, dirname(configFile));
 */
export function loadConfiguredRules(audit: AuditConfig | undefined, configDir: string): Rule[] {
  const shipped = audit?.rules?.shipped === false ? [] : loadRuleFiles(SHIPPED_RULES_DIR);
  const dir = audit?.rules?.dir;
  const extra = dir === undefined ? [] : loadRuleFiles(resolve(configDir, dir));
  return checkUnique([...shipped, ...extra]).map(({ rule }) => rule);
}

interface LoadedRule {
  readonly file: string;
  readonly rule: Rule;
}

function loadRuleFiles(dir: string): LoadedRule[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new DetectionRuleError(dir, undefined, '(directory)', reason, { cause: error });
  }
  return names
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      return { file, rule: parseRule(readFileSync(file, 'utf8'), file) };
    });
}

function checkUnique(loaded: readonly LoadedRule[]): LoadedRule[] {
  const seen = new Map<string, string>();
  for (const { file, rule } of loaded) {
    const other = seen.get(rule.id);
    if (other !== undefined) throw new DetectionRuleError(file, rule.id, 'id', `also used by ${other}`);
    seen.set(rule.id, file);
  }
  return [...loaded];
}

/** TypeBox's message, with the allowed values spelled out for a choice of literals. */
function problemOf(schema: unknown, message: string): string {
  const choices = (schema as { anyOf?: readonly { const?: unknown }[] }).anyOf;
  const literals = choices?.map((choice) => choice.const);
  if (literals !== undefined && literals.length > 0 && literals.every((value) => typeof value === 'string')) {
    return `must be one of ${literals.join(', ')}`;
  }
  const description = (schema as { description?: unknown }).description;
  if (typeof description === 'string' && message.includes('to match')) return `must be ${description}`;
  return message.toLowerCase();
}

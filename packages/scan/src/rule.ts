import { SECURITY_SEVERITY, type Severity } from './severity.ts';

/** Where docs/scan.md is published: every rule's `helpUri` is an anchor of this page. */
export const SCAN_DOCS_URL = 'https://rampart.dev/docs/scan';

/**
 * One check a module makes. `id` is `<module>/<kebab-name>` and never changes once released: it is
 * the key of inline suppressions, baselines and code-scanning alerts.
 */
export interface Rule {
  readonly id: string;
  /** PascalCase, as SARIF's `reportingDescriptor.name` (e.g. `RootUser`). */
  readonly name: string;
  /** One line: what is wrong. */
  readonly short: string;
  /** Why it matters: the risk, in a sentence or two. */
  readonly why: string;
  /** How to fix it. */
  readonly fix: string;
  readonly severity: Severity;
  /** CWE numbers, when one fits. */
  readonly cwe?: readonly number[];
  /** Comparable checks of other tools (e.g. `hadolint DL3002`), for readers who know them. */
  readonly seeAlso?: readonly string[];
  /** The page documenting the rule when it is not docs/scan.md (`rampart probe`'s: docs/probe.md). */
  readonly docs?: string;
}

/** The `security-severity` of a rule (GitHub code scanning's score). */
export function securitySeverity(rule: Rule): number {
  return SECURITY_SEVERITY[rule.severity];
}

/** The anchor of a rule in its page: its id with `/` as `-` (`dockerfile-root-user`). */
export function ruleAnchor(id: string): string {
  return id.replaceAll('/', '-');
}

/** The rule's anchor in its page: docs/scan.md unless the rule names another (`docs`). */
export function helpUri(rule: Rule): string {
  return `${rule.docs ?? SCAN_DOCS_URL}#${ruleAnchor(rule.id)}`;
}

/**
 * A module's rules by id; throws a `TypeError` for a repeated or badly formed id, so a registry
 * cannot be built wrong.
 *
 * @example
 * const rules = ruleRegistry('dockerfile', [{ id: 'dockerfile/sudo', … }]);
 * rules.get('dockerfile/sudo');
 */
export function ruleRegistry(module: string, rules: readonly Rule[]): ReadonlyMap<string, Rule> {
  const registry = new Map<string, Rule>();
  for (const rule of rules) {
    if (!new RegExp(`^${module}/[a-z0-9]+(-[a-z0-9]+)*$`, 'u').test(rule.id)) {
      throw new TypeError(`rule id ${rule.id} must be ${module}/<kebab-case-name>`);
    }
    if (registry.has(rule.id)) throw new TypeError(`rule id ${rule.id} is declared twice`);
    registry.set(rule.id, rule);
  }
  return registry;
}

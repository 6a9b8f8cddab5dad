import { FRAMEWORK_RULES } from './framework-rules.ts';
import { ruleAnchor, type Rule } from './rule.ts';
import type { ScanModule } from './scan-module.ts';

export const RULES_START =
  '<!-- rules:start (generated from the rule registries: node scripts/scan-docs/main.ts) -->';
export const RULES_END = '<!-- rules:end -->';

/**
 * The rule reference of docs/scan.md: one section per module, one entry per rule with the anchor
 * its `helpUri` points at. Generated, so the page and the SARIF `helpUri`s cannot drift apart.
 */
export function rulesReference(modules: readonly ScanModule[]): string {
  const out: string[] = [RULES_START, ''];
  const section = (title: string, rules: Iterable<Rule>): void => {
    out.push(`### ${title}`, '');
    for (const rule of rules) {
      out.push(`<a id="${ruleAnchor(rule.id)}"></a>`, '');
      out.push(`#### \`${rule.id}\` — ${rule.short}`, '');
      const meta = [`severity **${rule.severity}**`];
      if (rule.cwe !== undefined && rule.cwe.length > 0)
        meta.push(rule.cwe.map((n) => `CWE-${n}`).join(', '));
      if (rule.seeAlso !== undefined && rule.seeAlso.length > 0)
        meta.push(`compare: ${rule.seeAlso.join(', ')}`);
      out.push(meta.join(' · '), '', `**Why:** ${rule.why}`, '', `**Fix:** ${rule.fix}`, '');
    }
  };
  for (const module of modules) section(`${module.name} (\`--module ${module.id}\`)`, module.rules.values());
  section('The scan itself', FRAMEWORK_RULES.values());
  out.push(RULES_END);
  return out.join('\n');
}

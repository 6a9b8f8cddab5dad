// docs/scan.md documents every rule at the anchor its SARIF helpUri points at: its rule reference
// is generated from the registries (node scripts/scan-docs/main.ts) and must be up to date.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FRAMEWORK_RULES, helpUri, ruleAnchor, rulesReference, SCAN_MODULES } from '@rampart/scan';

const doc = readFileSync(join(import.meta.dirname, '../../../docs/scan.md'), 'utf8');

describe('docs/scan.md', () => {
  it('has the rule reference the registries generate', () => {
    assert.ok(doc.includes(rulesReference(SCAN_MODULES)), 'stale: run `node scripts/scan-docs/main.ts`');
  });
  it('has an anchor for every rule, the one its helpUri names', () => {
    const rules = [...SCAN_MODULES.flatMap((m) => [...m.rules.values()]), ...FRAMEWORK_RULES.values()];
    for (const rule of rules) {
      assert.ok(doc.includes(`<a id="${ruleAnchor(rule.id)}"></a>`), rule.id);
      assert.ok(helpUri(rule).endsWith(`#${ruleAnchor(rule.id)}`));
    }
  });
});

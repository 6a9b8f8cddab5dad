// Rewrites the rule reference of docs/scan.md (between its markers) from the scan's rule registries.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_END, RULES_START, rulesReference, SCAN_MODULES } from '@rampart/scan';

const file = join(import.meta.dirname, '../../docs/scan.md');
const text = readFileSync(file, 'utf8');
const start = text.indexOf(RULES_START);
const end = text.indexOf(RULES_END);
if (start < 0 || end < 0) throw new Error(`${file} has no rule markers`);
writeFileSync(
  file,
  `${text.slice(0, start)}${rulesReference(SCAN_MODULES)}${text.slice(end + RULES_END.length)}`,
);

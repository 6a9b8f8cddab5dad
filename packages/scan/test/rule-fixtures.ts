import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScan, type ScanModule } from '@rampart/scan';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** The positive and negative fixture of a rule: `<fixtures>/<dir>/<rule name>.{positive,negative}<suffix>`. */
export function ruleFixtures(
  dir: string,
  ruleId: string,
  suffix: string,
): { positive: string; negative: string } {
  const name = ruleId.slice(ruleId.indexOf('/') + 1);
  return {
    positive: join(FIXTURES, dir, `${name}.positive${suffix}`),
    negative: join(FIXTURES, dir, `${name}.negative${suffix}`),
  };
}

export function fixtureExists(file: string): boolean {
  return existsSync(file) && readFileSync(file, 'utf8').length > 0;
}

/** The rule ids one module reports on one file (the file scanned alone, as `rampart scan <file>` does). */
export async function rulesReported(module: ScanModule, file: string): Promise<string[]> {
  const result = await runScan({ root: file, modules: [module] });
  const [outcome] = result.modules;
  if (outcome === undefined || outcome.failures.length > 0) {
    throw new Error(`could not scan ${file}: ${JSON.stringify(outcome?.failures)}`);
  }
  return outcome.findings.map((finding) => finding.ruleId);
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runScan, type ScanModule } from '@rampart/scan';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/**
 * The positive and negative fixture of a rule: `<fixtures>/<dir>/<rule name>.{positive,negative}<suffix>`,
 * or, for a rule across files (a rampart.yaml and the manifests), the directory
 * `<fixtures>/<dir>/<rule name>.{positive,negative}/` scanned as a tree.
 */
export function ruleFixtures(
  dir: string,
  ruleId: string,
  suffix: string,
): { positive: string; negative: string } {
  const name = ruleId.slice(ruleId.indexOf('/') + 1);
  const fixture = (kind: string): string => {
    const tree = join(FIXTURES, dir, `${name}.${kind}`);
    return existsSync(tree) && statSync(tree).isDirectory() ? tree : `${tree}${suffix}`;
  };
  return { positive: fixture('positive'), negative: fixture('negative') };
}

export function fixtureExists(file: string): boolean {
  if (!existsSync(file)) return false;
  return statSync(file).isDirectory() ? readdirSync(file).length > 0 : readFileSync(file, 'utf8').length > 0;
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

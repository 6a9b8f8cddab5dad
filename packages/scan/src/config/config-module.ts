import { readFile } from 'node:fs/promises';
import { loadConfig } from '@rampart/config';
import { LineCounter, parseDocument } from 'yaml';
import type { FindingInput } from '../finding.ts';
import { looksLikeKubernetes } from '../kubernetes/manifests.ts';
import type { ModuleReport, ScanContext, ScanFile, ScanModule } from '../scan-module.ts';
import { offsetOf } from '../yaml-position.ts';
import { CONFIG_RULES, configRuleId, SEVERITY_OVERRIDES } from './config-rules.ts';
import { unreachableServices, unsafeRoutesWithoutRateLimit } from './design-checks.ts';

/** `rampart.yaml`, `rampart.yml`, `<name>.rampart.yaml`. */
export function isRampartConfig(path: string): boolean {
  const name = path.split('/').at(-1) ?? path;
  return /^(?:.+\.)?rampart\.ya?ml$/u.test(name);
}

export const configModule: ScanModule = {
  id: 'config',
  name: 'rampart.yaml',
  rules: CONFIG_RULES,
  accepts: (file) => isRampartConfig(file.path),
  async scan(context: ScanContext): Promise<ModuleReport> {
    const findings: FindingInput[] = [];
    let scanned = 0;
    for (const file of context.files) {
      const text = await context.readText(file);
      if (looksLikeKubernetes(text)) continue; // a ConfigMap named rampart.yaml: the k8s module's
      scanned += 1;
      findings.push(...(await checkConfigFile(file)));
    }
    return { findings, failures: [], scanned };
  },
};

/**
 * Everything `rampart check` reports on one file (its loader and checks, not a copy), then the
 * design checks when the file is valid.
 */
export async function checkConfigFile(file: ScanFile): Promise<FindingInput[]> {
  const result = await loadConfig(file.absolute);
  const findings: FindingInput[] = result.problems.map((problem) => ({
    ruleId: configRuleId(problem.code),
    location: { file: file.path, line: problem.line, column: problem.column },
    // The message names the thing (route, service, key); the line does not enter the fingerprint.
    key: `${problem.code}:${problem.message}`,
    message: problem.message,
    ...(problem.fix === undefined ? {} : { fix: problem.fix }),
    severity: SEVERITY_OVERRIDES[problem.code] ?? (problem.severity === 'error' ? 'high' : 'medium'),
  }));
  if (!result.ok) return findings;
  const lineCounter = new LineCounter();
  const doc = parseDocument(await readFile(file.absolute, 'utf8'), { lineCounter });
  for (const design of [
    ...unsafeRoutesWithoutRateLimit(result.config),
    ...unreachableServices(result.config),
  ]) {
    const pos = lineCounter.linePos(offsetOf(doc, design.path));
    findings.push({
      ruleId: design.ruleId,
      location: { file: file.path, line: pos.line, column: pos.col },
      key: design.key,
      message: design.message,
    });
  }
  return findings;
}

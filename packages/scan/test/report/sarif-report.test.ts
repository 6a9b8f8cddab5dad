// SARIF 2.1.0 output, validated two ways with no network (@rampart/testing's sarif-validation):
// against the OASIS JSON schema with ajv, and with Microsoft's SARIF Multitool `validate`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sarifMultitoolProblems, sarifSchemaErrors, sarifValidatorSkip, tempDir } from '@rampart/testing';
import {
  createDepsModule,
  osvAdvisories,
  FINGERPRINT_KEY,
  readBaseline,
  runScan,
  sarifReport,
  SCAN_MODULES,
  writeBaseline,
  allFindings,
  type SarifLog,
} from '@rampart/scan';
import { FIXTURES } from '../rule-fixtures.ts';

async function fixtureSarif(): Promise<SarifLog> {
  // Every fixture: a findings-rich log, with failures (none) and every module's rules; advisories
  // from the OSV fixture (no network), the deps fixtures that are failures on purpose left out.
  const deps = createDepsModule({ advisories: osvAdvisories(join(FIXTURES, '../corpus/deps/advisories')) });
  const result = await runScan({
    root: FIXTURES,
    modules: SCAN_MODULES.map((module) => (module.id === deps.id ? deps : module)),
    exclude: ['deps/unparseable', 'deps/yarn-only'],
  });
  return sarifReport(result);
}

describe('SARIF output', { skip: sarifValidatorSkip }, () => {
  it('is valid against the SARIF 2.1.0 JSON schema (ajv)', async () => {
    const log = await fixtureSarif();
    assert.ok(log.runs.every((run) => run.results.length > 0));
    assert.deepEqual(sarifSchemaErrors(log), []);
  });

  it('passes the SARIF multitool validator with no error and no warning', async () => {
    assert.deepEqual(await sarifMultitoolProblems(await fixtureSarif()), []);
  });

  it('is checked for real: the multitool refuses a broken log', async () => {
    const log = JSON.parse(JSON.stringify(await fixtureSarif())) as {
      runs: { results: Record<string, unknown>[] }[];
    };
    delete log.runs[0]!.results[0]!['message'];
    const problems = await sarifMultitoolProblems(log);
    assert.ok(
      problems.some((p) => p.startsWith('JSON1002 error')),
      problems.join('\n'),
    );
  });

  it('has one run per module with its own automationDetails.id, rules with helpUri and security-severity', async () => {
    const log = await fixtureSarif();
    assert.deepEqual(
      log.runs.map((run) => run.automationDetails.id),
      SCAN_MODULES.map((m) => `rampart-scan/${m.id}/`),
    );
    for (const run of log.runs) {
      for (const rule of run.tool.driver.rules) {
        assert.match(rule.helpUri, /^https:\/\/rampart\.dev\/docs\/scan#[a-z0-9-]+$/u);
        assert.match(rule.properties['security-severity'], /^\d+\.\d$/u);
      }
      for (const result of run.results) {
        assert.match(
          (result['partialFingerprints'] as Record<string, string>)[FINGERPRINT_KEY] ?? '',
          /^[a-f0-9]{32}$/u,
        );
      }
    }
  });

  it('keeps suppressed results, with their suppressions and justification', async () => {
    const dir = await tempDir('rampart-sarif-');
    try {
      const baselineFile = join(dir.path, 'baseline.json');
      const root = join(FIXTURES, 'dockerfile');
      const modules = SCAN_MODULES.filter((m) => m.id === 'dockerfile');
      await writeBaseline(baselineFile, allFindings(await runScan({ root, modules })), undefined);
      const baseline = { file: baselineFile, baseline: await readBaseline(baselineFile) };
      const log = sarifReport(await runScan({ root, modules, baseline }));
      const results = log.runs[0]?.results ?? [];
      assert.ok(results.length > 0);
      for (const result of results) {
        assert.deepEqual(Object.keys((result['suppressions'] as object[])[0] ?? {}).sort(), [
          'justification',
          'kind',
          'status',
        ]);
      }
    } finally {
      await dir.cleanup();
    }
  });
});

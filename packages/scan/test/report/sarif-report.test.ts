// SARIF 2.1.0 output, validated two ways with no network: against the OASIS JSON schema (the copy
// Microsoft's SARIF SDK ships in @microsoft/sarif-multitool-linux) with ajv, and with the SARIF
// Multitool's own `validate` (schema plus the SDK's SARIF rules), the validator GitHub recommends.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { tempDir } from '@rampart/testing';
import {
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

const require = createRequire(import.meta.url);
/** The multitool's Linux build: a self-contained .NET executable, with the schema beside it. */
const multitoolDir = ((): string | undefined => {
  try {
    return join(require.resolve('@microsoft/sarif-multitool-linux/package.json'), '..');
  } catch {
    return undefined;
  }
})();
const skip =
  process.platform !== 'linux' || multitoolDir === undefined
    ? 'the SARIF multitool ships a Linux build only here'
    : false;

/** What `Sarif.Multitool validate` reports on a log, errors and warnings only: `<rule> <level>: <arguments>`. */
async function multitoolProblems(log: unknown): Promise<string[]> {
  const dir = await tempDir('rampart-sarif-');
  try {
    const input = join(dir.path, 'scan.sarif');
    const output = join(dir.path, 'validation.sarif');
    await writeFile(input, JSON.stringify(log));
    await promisify(execFile)(
      join(multitoolDir!, 'Sarif.Multitool'),
      ['validate', input, '--output', output, '--quiet'],
      {
        env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
      },
    );
    assert.ok(existsSync(output), 'the validator wrote no result');
    const validation = JSON.parse(readFileSync(output, 'utf8')) as {
      runs: { results?: { ruleId: string; level?: string; message: { arguments?: string[] } }[] }[];
    };
    return (validation.runs[0]?.results ?? [])
      .filter((r) => r.level !== 'note' && r.level !== 'none')
      .map((p) => `${p.ruleId} ${p.level ?? 'warning'}: ${(p.message.arguments ?? []).join(' | ')}`);
  } finally {
    await dir.cleanup();
  }
}

async function fixtureSarif(): Promise<SarifLog> {
  // Every fixture: a findings-rich log, with failures (none) and every module's rules.
  const result = await runScan({ root: FIXTURES, modules: SCAN_MODULES });
  return sarifReport(result);
}

describe('SARIF output', { skip }, () => {
  it('is valid against the SARIF 2.1.0 JSON schema (ajv)', async () => {
    const schema = JSON.parse(readFileSync(join(multitoolDir!, 'sarif-2.1.0.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const log = await fixtureSarif();
    assert.ok(log.runs.every((run) => run.results.length > 0));
    const valid = validate(JSON.parse(JSON.stringify(log)));
    assert.ok(valid, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  });

  it('passes the SARIF multitool validator with no error and no warning', async () => {
    assert.deepEqual(await multitoolProblems(await fixtureSarif()), []);
  });

  it('is checked for real: the multitool refuses a broken log', async () => {
    const log = JSON.parse(JSON.stringify(await fixtureSarif())) as {
      runs: { results: Record<string, unknown>[] }[];
    };
    delete log.runs[0]!.results[0]!['message'];
    const problems = await multitoolProblems(log);
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

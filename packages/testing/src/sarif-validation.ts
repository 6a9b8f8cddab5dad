// SARIF 2.1.0 validation with no network, two ways: against the OASIS JSON schema (the copy
// Microsoft's SARIF SDK ships in @microsoft/sarif-multitool-linux) with ajv, and with the SARIF
// Multitool's own `validate` (schema plus the SDK's SARIF rules), the validator GitHub recommends.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { tempDir } from './temp-dir.ts';

const require = createRequire(import.meta.url);
/** The multitool's Linux build: a self-contained .NET executable, with the schema beside it. */
const multitoolDir = ((): string | undefined => {
  try {
    return join(require.resolve('@microsoft/sarif-multitool-linux/package.json'), '..');
  } catch {
    return undefined;
  }
})();

/** `false`, or why SARIF cannot be validated here: spread into a test's or suite's `skip`. */
export const sarifValidatorSkip: string | false =
  process.platform !== 'linux' || multitoolDir === undefined
    ? 'the SARIF multitool ships a Linux build only here'
    : false;

function validatorDir(): string {
  if (multitoolDir === undefined) throw new TypeError('check sarifValidatorSkip before validating SARIF');
  return multitoolDir;
}

/** The schema errors of `log` (ajv, all errors, formats not checked): `[]` when valid. */
export function sarifSchemaErrors(log: unknown): string[] {
  const schema = JSON.parse(readFileSync(join(validatorDir(), 'sarif-2.1.0.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(schema);
  if (validate(JSON.parse(JSON.stringify(log)))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/**
 * What `Sarif.Multitool validate` reports on a log, errors and warnings only:
 * `<rule> <level>: <arguments>`.
 *
 * @example
 * assert.deepEqual(await sarifMultitoolProblems(log), []);
 */
export async function sarifMultitoolProblems(log: unknown): Promise<string[]> {
  const dir = await tempDir('rampart-sarif-');
  try {
    const input = join(dir.path, 'log.sarif');
    const output = join(dir.path, 'validation.sarif');
    await writeFile(input, JSON.stringify(log));
    await promisify(execFile)(
      join(validatorDir(), 'Sarif.Multitool'),
      ['validate', input, '--output', output, '--quiet'],
      {
        env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
      },
    );
    if (!existsSync(output)) throw new Error('the SARIF multitool wrote no result');
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

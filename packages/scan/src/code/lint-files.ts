import { readFile } from 'node:fs/promises';
import { ESLint } from 'eslint';
import { codeLintConfig } from './eslint-config.ts';

/** One ESLint message, as much of it as the module needs (it crosses a worker boundary). */
export interface LintMessage {
  readonly ruleId: string | null;
  readonly messageId: string | undefined;
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly fatal: boolean;
}

/** What linting one file gave: its messages, or why it could not be read. */
export interface LintedFile {
  readonly absolute: string;
  readonly messages: readonly LintMessage[];
  readonly error?: string;
}

/**
 * Lints files with ESLint's Node API and the module's inline config, never the project's own
 * (`overrideConfigFile: true`, ignore files off: the scan already chose the files).
 *
 * @example
 * const [result] = await lintFiles('/repo', ['/repo/src/app.ts']);
 */
export async function lintFiles(root: string, files: readonly string[]): Promise<LintedFile[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: codeLintConfig(),
    ignore: false,
  });
  const results: LintedFile[] = [];
  for (const absolute of files) {
    let text: string;
    try {
      text = await readFile(absolute, 'utf8');
    } catch (error) {
      results.push({ absolute, messages: [], error: `cannot read: ${describe(error)}` });
      continue;
    }
    try {
      const [result] = await eslint.lintText(text, { filePath: absolute });
      results.push({
        absolute,
        messages: (result?.messages ?? []).map((m) => ({
          ruleId: m.ruleId,
          messageId: m.messageId,
          message: m.message,
          line: m.line,
          column: m.column,
          fatal: m.fatal === true,
        })),
      });
    } catch (error) {
      results.push({ absolute, messages: [], error: `ESLint failed: ${describe(error)}` });
    }
  }
  return results;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

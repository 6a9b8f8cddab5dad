import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FindingInput } from '../finding.ts';
import { normalizeSnippet } from '../fingerprint.ts';
import type { ModuleReport, ScanContext, ScanFile, ScanModule } from '../scan-module.ts';
import { isSeverity } from '../severity.ts';
import { CODE_RULES } from './code-rules.ts';
import type { LintedFile } from './lint-files.ts';
import { CODE_FILE, scanRuleId } from './rule-ids.ts';

/** Below this many files, linting in this thread beats starting workers (each loads ESLint and the parser). */
const FILES_PER_WORKER = 150;
const MAX_WORKERS = 4;

export function isCodeFile(path: string): boolean {
  return CODE_FILE.test(path);
}

export const codeModule: ScanModule = {
  id: 'code',
  name: 'Code (TypeScript/JavaScript SAST)',
  rules: CODE_RULES,
  accepts: (file) => isCodeFile(file.path),
  async scan(context: ScanContext): Promise<ModuleReport> {
    const root = commonRoot(context.files);
    const workers = Math.min(
      MAX_WORKERS,
      availableParallelism(),
      Math.floor(context.files.length / FILES_PER_WORKER),
    );
    const linted = await lintCode(
      root,
      context.files.map((f) => f.absolute),
      workers,
    );
    const byAbsolute = new Map(context.files.map((file) => [file.absolute, file]));
    const findings: FindingInput[] = [];
    const failures: { file: string; message: string }[] = [];
    for (const result of linted) {
      const file = byAbsolute.get(result.absolute);
      if (file === undefined) continue;
      if (result.error !== undefined) {
        failures.push({ file: file.path, message: result.error });
        continue;
      }
      const lines = (await context.readText(file)).split(/\r?\n/u);
      for (const message of result.messages) {
        // ESLint's own notices (an `eslint-disable` comment that noInlineConfig ignores) are not findings
        if (message.ruleId === null && !message.fatal) continue;
        const ruleId = message.ruleId === null ? undefined : scanRuleId(message.ruleId);
        if (message.fatal || ruleId === undefined) {
          failures.push({
            file: file.path,
            message: `cannot parse: ${message.message} (line ${String(message.line)})`,
          });
          continue;
        }
        const severity =
          message.messageId !== undefined && isSeverity(message.messageId) ? message.messageId : undefined;
        findings.push({
          ruleId,
          location: { file: file.path, line: message.line, column: message.column },
          key: normalizeSnippet(lines[message.line - 1] ?? ''),
          message: message.message,
          ...(severity === undefined ? {} : { severity }),
        });
      }
    }
    return { findings, failures, scanned: context.files.length };
  },
};

/** The deepest directory holding every file: ESLint's `cwd` (a file outside it would be ignored). */
function commonRoot(files: readonly ScanFile[]): string {
  const [first, ...rest] = files.map((f) => f.absolute.split('/').slice(0, -1));
  if (first === undefined) return process.cwd();
  let length = first.length;
  for (const parts of rest) {
    let i = 0;
    while (i < length && parts[i] === first[i]) i += 1;
    length = i;
  }
  return first.slice(0, length).join('/') || '/';
}

/**
 * Lints the files in `workers` worker threads (the module uses one per core, at most 4, when there
 * are enough files to pay for loading ESLint and the parser in each), or in this thread when
 * `workers` < 2. Files are dealt to workers largest first, so each gets a similar amount of text.
 *
 * @example
 * const results = await lintCode('/repo', ['/repo/src/a.ts', '/repo/src/b.ts'], 2);
 */
export async function lintCode(
  root: string,
  files: readonly string[],
  workers: number,
): Promise<LintedFile[]> {
  if (workers < 2) {
    // loaded on demand: with workers, only they load ESLint and the TypeScript parser
    const { lintFiles } = await import('./lint-files.ts');
    return lintFiles(root, files);
  }
  const sized = await Promise.all(
    files.map(async (absolute) => ({
      absolute,
      size: await stat(absolute).then(
        (s) => s.size,
        () => 0,
      ),
    })),
  );
  sized.sort((a, b) => b.size - a.size);
  const shares: string[][] = Array.from({ length: workers }, () => []);
  sized.forEach((f, i) => shares[i % workers]?.push(f.absolute));
  const script = new URL(`./lint-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  const results = await Promise.all(
    shares.map(
      (share) =>
        new Promise<LintedFile[]>((resolve, reject) => {
          const worker = new Worker(script, { workerData: { root, files: share } });
          worker.once('message', (value: LintedFile[]) => {
            resolve(value);
          });
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`a lint worker exited with code ${String(code)}`));
          });
        }),
    ),
  );
  return results.flat();
}

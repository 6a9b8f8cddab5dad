import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isRampartConfig } from '../config/config-module.ts';
import { IGNORED_DIRECTORIES, readIgnoreFile } from '../discover-files.ts';
import type { FindingInput, ScanFailure } from '../finding.ts';
import type { ModuleReport, ScanContext, ScanFile, ScanModule } from '../scan-module.ts';
import type { Severity } from '../severity.ts';
import { findSecrets, type SecretMatch } from './find-secrets.ts';
import { addedLines, trackedFiles } from './git.ts';
import { redactSecret, secretKey } from './redact.ts';
import { SECRETS_RULES } from './secrets-rules.ts';
import { isLocalHost } from './structural-patterns.ts';

/** Files larger than this are not read: reported as not scanned (exit 2), never skipped silently. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** How much of a file is looked at for a NUL byte: a file with one is binary and skipped (as git does). */
const BINARY_PROBE_BYTES = 8000;

export interface GitHistoryOptions {
  /** Only commits after this revision (`<since>..HEAD`). */
  readonly since?: string;
  /** Paths skipped besides `.rampartscanignore`'s (the command's `--exclude`). */
  readonly exclude?: readonly string[];
  readonly maxCommits?: number;
  readonly maxBytes?: number;
}

export interface SecretsModuleOptions {
  /** Also scan the lines every commit added (`rampart scan --git-history`). */
  readonly gitHistory?: GitHistoryOptions;
}

/**
 * Test code and fixtures: `test/`, `tests/`, `__tests__/`, `fixtures/`, `testdata/`, `__mocks__/`
 * directories and `*.test.*`/`*.spec.*` files. A secret there is reported as `low`: usually test
 * material, still a credential if it is real.
 */
export function isTestPath(path: string): boolean {
  const parts = path.split('/');
  const name = parts.at(-1) ?? '';
  if (/\.(?:test|spec)\.[cm]?[jt]sx?$|_test\.(?:go|py)$|^test_.*\.py$/u.test(name)) return true;
  return parts
    .slice(0, -1)
    .some((dir) =>
      /^(?:tests?|__tests__|spec|fixtures|__fixtures__|testdata|test-data|__mocks__)$/u.test(dir),
    );
}

/** Files whose unquoted `name: value` and `NAME=value` lines are assignments, not code. */
export function isConfigFile(path: string): boolean {
  const name = path.split('/').at(-1) ?? path;
  return (
    isEnvFile(name) ||
    /^\.env\./u.test(name) ||
    /\.(?:ya?ml|env|properties|ini|cfg|conf|toml|tfvars|npmrc)$/iu.test(name) ||
    /^\.(?:npmrc|pypirc|netrc|htpasswd)$/u.test(name)
  );
}

/** `.env`, `.env.local`, `prod.env` — not `.env.example`, `.env.sample`, `.env.template`, `.env.dist`. */
export function isEnvFile(path: string): boolean {
  const name = path.split('/').at(-1) ?? path;
  if (/\.(?:example|sample|template|dist|defaults|schema|tpl)$/iu.test(name)) return false;
  return /^\.env(?:\.[\w.-]+)?$|^[\w.-]+\.env$/u.test(name);
}

/**
 * The `secrets` module: every text file of the tree (binary files and files over
 * `MAX_FILE_BYTES` are not read), optionally the lines each commit added, and the files that
 * should never be committed (`.env`, `.rampart/`). Findings show a redacted form of the secret;
 * their key is a hash of it.
 *
 * @example
 * await runScan({ root: '.', modules: [createSecretsModule({ gitHistory: { since: 'main' } })] });
 */
export function createSecretsModule(options: SecretsModuleOptions = {}): ScanModule {
  return {
    id: 'secrets',
    name: options.gitHistory === undefined ? 'Secrets' : 'Secrets (files and git history)',
    rules: SECRETS_RULES,
    accepts: () => true,
    async scan(context: ScanContext): Promise<ModuleReport> {
      const findings: FindingInput[] = [];
      const failures: Omit<ScanFailure, 'module'>[] = [];
      const present = new Set<string>();
      let scanned = 0;
      for (const file of context.files) {
        const text = await readTextFile(file, failures);
        if (text === undefined) continue;
        scanned += 1;
        const matches = findSecrets(text, {
          configFile: isConfigFile(file.path),
          skipGeneric: isRampartConfig(file.path),
        });
        for (const match of matches) {
          present.add(`${match.ruleId}\u0000${secretKey(match.secret)}`);
          findings.push(finding(file.path, match, file.path));
        }
      }
      const root = scanRoot(context);
      if (root !== undefined) {
        findings.push(...(await committedFiles(root, context)));
        if (options.gitHistory !== undefined) {
          const history = await historyFindings(root, options.gitHistory, present);
          findings.push(...history.findings);
          failures.push(...history.failures);
          scanned += history.commits;
        }
      } else if (options.gitHistory !== undefined) {
        failures.push({ message: 'no file to locate the repository: git history not scanned' });
      }
      return { findings, failures, scanned };
    },
  };
}

/** The module as `rampart scan` runs it by default: the files of the tree, not the history. */
export const secretsModule: ScanModule = createSecretsModule();

/** The text of a file, or undefined for a binary one; a file too large or unreadable is a failure. */
async function readTextFile(
  file: ScanFile,
  failures: Omit<ScanFailure, 'module'>[],
): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file.absolute, 'r');
    const { size } = await handle.stat();
    const probe = Buffer.alloc(Math.min(size, BINARY_PROBE_BYTES));
    await handle.read(probe, 0, probe.length, 0);
    if (probe.includes(0)) return undefined;
    if (size > MAX_FILE_BYTES) {
      failures.push({
        file: file.path,
        message: `larger than ${MAX_FILE_BYTES} bytes: not scanned for secrets (exclude it if it is data)`,
      });
      return undefined;
    }
    return (await handle.readFile()).toString('utf8');
  } catch (error) {
    failures.push({
      file: file.path,
      message: `cannot read: ${error instanceof Error ? error.message : String(error)}`,
    });
    return undefined;
  } finally {
    await handle?.close();
  }
}

function finding(path: string, match: SecretMatch, shownFile: string, commit?: string): FindingInput {
  const rule = SECRETS_RULES.get(match.ruleId);
  const what = match.kind === undefined ? (rule?.name ?? match.ruleId) : match.kind;
  const where = commit === undefined ? '' : ` added in commit ${commit.slice(0, 12)}`;
  let severity: Severity | undefined;
  let note = '';
  if (isTestPath(path)) {
    severity = 'low';
    note = ' (test path: reported as low)';
  } else if (match.host !== undefined && isLocalHost(match.host)) {
    severity = 'low';
    note = ' (local host: a development default, reported as low)';
  }
  const file =
    /\.(?:pem|key)$/iu.test(path) && match.ruleId === 'secrets/private-key'
      ? ' — a private key file is committed'
      : '';
  return {
    ruleId: match.ruleId,
    location: { file: shownFile, line: match.line, column: match.column },
    key: commit === undefined ? secretKey(match.secret) : `${commit}:${secretKey(match.secret)}`,
    message: `${what}: ${redactSecret(match.secret)}${where}${file}${note}`,
    ...(severity === undefined ? {} : { severity }),
  };
}

/** The directory scanned: derived from any file (absolute path minus its relative one). */
function scanRoot(context: ScanContext): string | undefined {
  const file = context.allFiles[0];
  if (file === undefined) return undefined;
  const root = file.absolute.slice(0, file.absolute.length - file.path.length);
  return root === '' ? dirname(file.absolute) : root;
}

/** `.env` files and `.rampart/` directories that git tracks (every `.env` file when not in a repository). */
async function committedFiles(root: string, context: ScanContext): Promise<FindingInput[]> {
  const tracked = await trackedFiles(root);
  const findings: FindingInput[] = [];
  const envFiles =
    tracked === undefined
      ? context.files.map((f) => f.path).filter((p) => isEnvFile(p))
      : [...tracked].filter((p) => isEnvFile(p) && context.allFiles.some((f) => f.path === p));
  for (const path of envFiles) {
    findings.push({
      ruleId: 'secrets/env-file-committed',
      location: { file: path, line: 0, column: 0 },
      key: 'env-file',
      message:
        tracked === undefined
          ? `\`${path}\` is in the tree (not a git work tree: it ships with it)`
          : `\`${path}\` is tracked by git`,
      ...(isTestPath(path) ? { severity: 'low' as const } : {}),
    });
  }
  const stateDirs = new Set<string>();
  for (const path of tracked ?? []) {
    const parts = path.split('/');
    const at = parts.indexOf('.rampart');
    if (at >= 0 && at < parts.length - 1) stateDirs.add(parts.slice(0, at + 1).join('/'));
  }
  for (const dir of stateDirs) {
    findings.push({
      ruleId: 'secrets/rampart-state-committed',
      location: { file: dir, line: 0, column: 0 },
      key: 'rampart-state',
      message: `\`${dir}/\` (rampart's local state: keys, CA, databases) is tracked by git`,
    });
  }
  return findings;
}

async function historyFindings(
  root: string,
  options: GitHistoryOptions,
  present: ReadonlySet<string>,
): Promise<{ findings: FindingInput[]; failures: Omit<ScanFailure, 'module'>[]; commits: number }> {
  const prefixes = [...(options.exclude ?? []), ...(await readIgnoreFile(root))].map((p) =>
    p.replace(/^\.\//u, '').replace(/\/+$/u, ''),
  );
  const skipped = (path: string): boolean =>
    path.split('/').some((part) => IGNORED_DIRECTORIES.has(part)) ||
    prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  const history = await addedLines({
    cwd: root,
    ...(options.since === undefined ? {} : { since: options.since }),
    maxCommits: options.maxCommits ?? 10_000,
    maxBytes: options.maxBytes ?? 512 * 1024 * 1024,
  });
  const findings: FindingInput[] = [];
  const reported = new Set<string>();
  for (const hunk of history.hunks) {
    if (skipped(hunk.file) || hunk.text.includes('\0')) continue;
    const matches = findSecrets(hunk.text, {
      configFile: isConfigFile(hunk.file),
      skipGeneric: isRampartConfig(hunk.file),
    });
    for (const match of matches) {
      const id = `${match.ruleId}\u0000${secretKey(match.secret)}`;
      // Still in the tree: the file finding covers it. Added again later: the first commit is enough.
      if (present.has(id) || reported.has(`${hunk.file}\u0000${id}`)) continue;
      reported.add(`${hunk.file}\u0000${id}`);
      const line = { ...match, line: hunk.firstLine + match.line - 1 };
      findings.push(finding(hunk.file, line, `${hunk.file}@${hunk.commit.slice(0, 12)}`, hunk.commit));
    }
  }
  const failures =
    history.incomplete === undefined
      ? []
      : [{ message: `git history not scanned whole: ${history.incomplete}` }];
  return { findings, failures, commits: history.commits };
}

import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One hunk of lines a commit added to a file: the lines, and the line number of the first. */
export interface AddedLines {
  readonly commit: string;
  /** Path relative to the scanned directory (`git log --relative`). */
  readonly file: string;
  readonly firstLine: number;
  readonly text: string;
}

export interface HistoryOptions {
  /** The directory to scan: its history, relative to it. */
  readonly cwd: string;
  /** Only the commits after this revision (`<since>..HEAD`); all commits when absent. */
  readonly since?: string;
  /** Bounds: the scan stops (and says so) past these. */
  readonly maxCommits: number;
  readonly maxBytes: number;
}

export interface HistoryResult {
  readonly hunks: AddedLines[];
  readonly commits: number;
  /** Set when a bound was reached or git failed: the history was not read whole. */
  readonly incomplete?: string;
}

/** A revision as `--since` takes it: never an option (`-…`), no range syntax, no whitespace. */
export function isSafeRevision(revision: string): boolean {
  return /^[A-Za-z0-9_][\w./@^~{}-]{0,200}$/u.test(revision) && !revision.includes('..');
}

/**
 * The lines each commit added, from `git log -p --unified=0`, run without a shell in `cwd`
 * (`--relative`: only that directory, its paths relative to it). Reads as a stream and stops at
 * `maxCommits` or `maxBytes`, reporting the history as incomplete rather than silently shorter.
 *
 * @example
 * const { hunks } = await addedLines({ cwd: '.', since: 'v1.0.0', maxCommits: 1000, maxBytes: 256 << 20 });
 */
export async function addedLines(options: HistoryOptions): Promise<HistoryResult> {
  if (options.since !== undefined && !isSafeRevision(options.since)) {
    return { hunks: [], commits: 0, incomplete: `not a revision: ${JSON.stringify(options.since)}` };
  }
  const args = [
    '-c',
    'core.quotePath=false',
    'log',
    '-p',
    '--unified=0',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--relative',
    '--format=format:%x01%H',
    `--max-count=${options.maxCommits + 1}`,
    ...(options.since === undefined ? [] : [`${options.since}..HEAD`]),
    '--',
  ];
  const child = spawn('git', args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const hunks: AddedLines[] = [];
  let commits = 0;
  let bytes = 0;
  let incomplete: string | undefined;
  let commit = '';
  let file: string | undefined;
  let hunk: { firstLine: number; lines: string[]; remaining: number } | undefined;
  const closeHunk = (): void => {
    if (hunk !== undefined && file !== undefined && hunk.lines.length > 0) {
      hunks.push({ commit, file, firstLine: hunk.firstLine, text: hunk.lines.join('\n') });
    }
    hunk = undefined;
  };
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  for await (const line of lines) {
    bytes += line.length + 1;
    if (bytes > options.maxBytes) {
      incomplete = `git history larger than ${options.maxBytes} bytes: scan a range with --since`;
      break;
    }
    if (hunk !== undefined && hunk.remaining > 0 && (line.startsWith('+') || line.startsWith('-'))) {
      if (line.startsWith('+')) {
        hunk.lines.push(line.slice(1));
        hunk.remaining -= 1;
      }
      continue;
    }
    if (line.startsWith('\u0001')) {
      closeHunk();
      commits += 1;
      if (commits > options.maxCommits) {
        incomplete = `more than ${options.maxCommits} commits: scan a range with --since`;
        break;
      }
      commit = line.slice(1).trim();
      file = undefined;
    } else if (line.startsWith('diff --git ')) {
      closeHunk();
      file = undefined;
    } else if (line.startsWith('+++ ')) {
      const target = line.slice(4);
      file = target === '/dev/null' ? undefined : unquote(target).replace(/^b\//u, '');
    } else if (line.startsWith('@@ ')) {
      closeHunk();
      const header = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/u.exec(line);
      if (header !== null) {
        hunk = { firstLine: Number(header[1]), lines: [], remaining: Number(header[2] ?? '1') };
      }
    }
  }
  closeHunk();
  if (incomplete !== undefined) child.kill();
  const code = await exited.catch((error: unknown) => {
    incomplete ??= `cannot run git: ${error instanceof Error ? error.message : String(error)}`;
    return null;
  });
  if (incomplete === undefined && code !== 0) {
    const message = Buffer.concat(stderr).toString('utf8').trim().split('\n')[0] ?? '';
    incomplete = `git log failed (exit ${String(code)}): ${message}`;
  }
  return {
    hunks,
    commits: Math.min(commits, options.maxCommits),
    ...(incomplete === undefined ? {} : { incomplete }),
  };
}

/** A path git quoted (`"a\tb"`): the quotes and the common escapes removed. */
function unquote(path: string): string {
  if (!path.startsWith('"') || !path.endsWith('"')) return path;
  return path
    .slice(1, -1)
    .replace(/\\(["\\tn])/gu, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
}

/**
 * The files git tracks under `cwd` (relative to it), or undefined when `cwd` is not in a work tree
 * (or git is missing): then nothing can be "committed".
 */
export function trackedFiles(cwd: string): Promise<ReadonlySet<string> | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['ls-files', '-z', '--cached'],
      { cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout) => {
        if (error !== null) resolve(undefined);
        else resolve(new Set(stdout.split('\0').filter((p) => p !== '')));
      },
    );
  });
}

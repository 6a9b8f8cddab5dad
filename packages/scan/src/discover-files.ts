import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { ScanFile } from './scan-module.ts';

/** Directories never scanned: dependencies, VCS data, Rampart's local state, build output. */
export const IGNORED_DIRECTORIES: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  '.rampart',
  'dist',
  'coverage',
]);

/** The file at the scan root listing more paths to skip, one prefix a line (`#` comments). */
export const IGNORE_FILE = '.rampartscanignore';

export interface DiscoveredFiles {
  readonly root: string;
  readonly files: readonly ScanFile[];
  /** The paths skipped by `--exclude` or the ignore file, for the report. */
  readonly excluded: readonly string[];
}

/**
 * Every file under `root` (or `root` itself when it is a file), depth first in name order, minus the
 * ignored directories, symbolic links, `exclude` and the prefixes of `root/.rampartscanignore`.
 * Throws when `root` does not exist: the scan could not look.
 *
 * @example
 * const { files } = await discoverFiles('.', ['packages/scan/test/fixtures']);
 */
export async function discoverFiles(root: string, exclude: readonly string[] = []): Promise<DiscoveredFiles> {
  const absoluteRoot = resolve(root);
  const info = await stat(absoluteRoot);
  if (info.isFile()) {
    const name = absoluteRoot.split(sep).at(-1) ?? absoluteRoot;
    return { root: absoluteRoot, files: [{ path: name, absolute: absoluteRoot }], excluded: [] };
  }
  const prefixes = [...exclude, ...(await readIgnoreFile(absoluteRoot))].map((p) =>
    p.replace(/^\.\//u, '').replace(/\/+$/u, ''),
  );
  const skipped = (path: string): boolean =>
    prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  const files: ScanFile[] = [];
  const excluded: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const absolute = join(dir, entry.name);
      const path = relative(absoluteRoot, absolute).split(sep).join('/');
      if (skipped(path)) {
        excluded.push(path);
        continue;
      }
      if (entry.isDirectory()) {
        if (!IGNORED_DIRECTORIES.has(entry.name)) await walk(absolute);
      } else if (entry.isFile()) {
        files.push({ path, absolute });
      }
    }
  };
  await walk(absoluteRoot);
  return { root: absoluteRoot, files, excluded };
}

/** The prefixes listed in `root/.rampartscanignore` (none when it has none). */
export async function readIgnoreFile(root: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(root, IGNORE_FILE), 'utf8');
  } catch {
    return [];
  }
  return text
    .split(/\r?\n/u)
    .map((line) => line.replace(/#.*$/u, '').trim())
    .filter((line) => line !== '');
}

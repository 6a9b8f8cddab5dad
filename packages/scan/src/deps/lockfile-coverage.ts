import type { Lockfile } from './lockfile.ts';

/** The lockfiles this module reads (`npm-shrinkwrap.json` is the published form of `package-lock.json`). */
export const NPM_LOCKFILES: readonly string[] = ['package-lock.json', 'npm-shrinkwrap.json'];
/** Lockfiles of other package managers: they lock a tree, but this module does not read them. */
export const OTHER_LOCKFILES: readonly string[] = ['yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb'];

/** What a directory holds, for deciding whether a package.json is locked. */
export interface LockedDirectory {
  /** Relative to the scan root, `` for the root itself. */
  readonly dir: string;
  readonly lockfiles: readonly string[];
  /** Parsed npm lockfiles of this directory. */
  readonly npm: readonly Lockfile[];
  /** The `workspaces` globs of its package.json. */
  readonly workspaces: readonly string[];
}

/** The dependencies a package.json asks to install (peer dependencies are the consumer's). */
export function declaresDependencies(manifest: unknown): boolean {
  if (typeof manifest !== 'object' || manifest === null) return false;
  const fields = manifest as Record<string, unknown>;
  return ['dependencies', 'devDependencies', 'optionalDependencies'].some((key) => {
    const map = fields[key];
    return typeof map === 'object' && map !== null && Object.keys(map).length > 0;
  });
}

/** `workspaces` as an array (`["packages/*"]`) or as yarn's `{ packages: [...] }`. */
export function workspaceGlobs(manifest: unknown): string[] {
  if (typeof manifest !== 'object' || manifest === null) return [];
  const workspaces = (manifest as Record<string, unknown>).workspaces;
  const list = Array.isArray(workspaces)
    ? workspaces
    : typeof workspaces === 'object' && workspaces !== null
      ? (workspaces as Record<string, unknown>).packages
      : undefined;
  return Array.isArray(list) ? list.filter((g): g is string => typeof g === 'string') : [];
}

/**
 * Whether the package.json of `dir` is locked: a lockfile next to it, or an ancestor's lockfile
 * that lists it (an npm v2/v3 lockfile's `packages["<dir>"]`) or whose package.json names it as a
 * workspace.
 */
export function isLocked(dir: string, directories: ReadonlyMap<string, LockedDirectory>): boolean {
  if ((directories.get(dir)?.lockfiles.length ?? 0) > 0) return true;
  for (const ancestor of ancestorsOf(dir)) {
    const holder = directories.get(ancestor);
    if (holder === undefined || holder.lockfiles.length === 0) continue;
    const relative = ancestor === '' ? dir : dir.slice(ancestor.length + 1);
    if (holder.npm.some((lockfile) => lockfile.lockfileVersion > 1 && lockfile.packages.has(relative)))
      return true;
    if (holder.workspaces.some((glob) => globToRegExp(glob).test(relative))) return true;
  }
  return false;
}

function ancestorsOf(dir: string): string[] {
  const ancestors: string[] = [];
  for (let at = dir.lastIndexOf('/'); at >= 0; at = dir.lastIndexOf('/', at - 1))
    ancestors.push(dir.slice(0, at));
  if (dir !== '') ancestors.push('');
  return ancestors;
}

/** A workspace glob (`packages/*`, `apps/**`, `tools/cli`) as a regular expression. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/^\.\//u, '')
    .replace(/\/+$/u, '')
    .split(/(\*\*|\*)/u)
    .map((part) =>
      part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/gu, '\\$&'),
    )
    .join('');
  return new RegExp(`^${body}$`, 'u');
}

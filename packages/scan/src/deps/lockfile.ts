import semver from 'semver';

/**
 * Where a locked package comes from. Only `registry` packages have advisories to look up; `project`
 * is a workspace or another directory of the project itself (its dependencies are locked too);
 * the rest are what `deps/unscannable-dependency` reports.
 */
export type DependencySource = 'registry' | 'project' | 'git' | 'file' | 'link' | 'tarball' | 'unknown';

/** One entry of a lockfile: a package at an install location. */
export interface LockedPackage {
  /** `node_modules/a/node_modules/b`, `packages/x` (a workspace), or `` for the root. */
  readonly location: string;
  /** The registry name (an alias `"x": "npm:y@1"` is `y`). */
  readonly name: string;
  readonly version: string;
  /** Installed only with dev dependencies (`dev` or `devOptional`): `npm ci --omit=dev` leaves it out. */
  readonly dev: boolean;
  readonly source: DependencySource;
  /** What the lockfile says it was installed from (`resolved`, else `version`). */
  readonly spec: string;
  /** The names it requires (the root and workspaces: with their dev dependencies). */
  readonly requires: readonly string[];
  /** A link's target location (a workspace). */
  readonly linkTarget?: string;
}

/** An npm lockfile (`package-lock.json`, `npm-shrinkwrap.json`) as a graph of install locations. */
export interface Lockfile {
  readonly lockfileVersion: 1 | 2 | 3;
  readonly rootName: string;
  /** By location; the root is at ``. */
  readonly packages: ReadonlyMap<string, LockedPackage>;
}

/** The lockfile is not JSON, not an npm lockfile, or of a version we do not read. */
export class LockfileError extends Error {
  override readonly name = 'LockfileError';
}

type Json = Record<string, unknown>;

/** The names of the file's dependency maps of a manifest (`package.json` or a lockfile's root). */
const ROOT_DEPENDENCY_KEYS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
] as const;
const INSTALLED_DEPENDENCY_KEYS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

/**
 * Reads an npm lockfile of version 1 (nested `dependencies`), 2 or 3 (`packages` by location).
 * `manifest` is the `package.json` next to it: a version-1 lockfile does not say what the root
 * requires. Throws a `LockfileError` naming what is wrong.
 *
 * @example
 * const lock = parseLockfile(await readFile('package-lock.json', 'utf8'));
 * lock.packages.get('node_modules/semver')?.version; // '7.8.6'
 */
export function parseLockfile(text: string, manifest?: unknown): Lockfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LockfileError(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(json)) throw new LockfileError('not an npm lockfile: the top level is not an object');
  const version = json.lockfileVersion;
  if (version === 2 || version === 3) {
    if (!isObject(json.packages)) throw new LockfileError(`lockfileVersion ${version} without \`packages\``);
    return { lockfileVersion: version, rootName: rootName(json), packages: readPackages(json.packages) };
  }
  if (version === 1) {
    const root = isObject(manifest) ? manifest : undefined;
    return { lockfileVersion: 1, rootName: rootName(json), packages: readVersion1(json, root) };
  }
  throw new LockfileError(
    version === undefined
      ? 'not an npm lockfile: no `lockfileVersion`'
      : `lockfileVersion ${JSON.stringify(version)} is not one this scanner reads (1, 2 or 3)`,
  );
}

function readPackages(entries: Json): Map<string, LockedPackage> {
  const packages = new Map<string, LockedPackage>();
  for (const [location, value] of Object.entries(entries)) {
    if (!isObject(value)) throw new LockfileError(`\`packages["${location}"]\` is not an object`);
    const inNodeModules = location.startsWith('node_modules/') || location.includes('/node_modules/');
    const folderName = inNodeModules ? location.slice(location.lastIndexOf('node_modules/') + 13) : location;
    const name = typeof value.name === 'string' && inNodeModules ? value.name : folderName;
    const version = typeof value.version === 'string' ? value.version : '';
    const resolved = typeof value.resolved === 'string' ? value.resolved : undefined;
    const link = value.link === true;
    const keys = inNodeModules ? INSTALLED_DEPENDENCY_KEYS : ROOT_DEPENDENCY_KEYS;
    const source: DependencySource =
      location === '' || !inNodeModules
        ? 'project'
        : link
          ? linkSource(resolved ?? '')
          : sourceOf(name, version, resolved);
    packages.set(location, {
      location,
      name,
      version,
      dev: value.dev === true || value.devOptional === true,
      source,
      spec: resolved ?? version,
      requires: dependencyNames(value, keys),
      ...(link && resolved !== undefined ? { linkTarget: resolved } : {}),
    });
  }
  // The root reaches its workspaces through their links (`node_modules/<name>` → `packages/<dir>`).
  const root = packages.get('');
  if (root !== undefined) {
    const links = [...packages.values()].filter(
      (pkg) =>
        pkg.linkTarget !== undefined && pkg.source === 'project' && !pkg.location.includes('/node_modules/'),
    );
    const requires = new Set([...root.requires, ...links.map((link) => link.name)]);
    packages.set('', { ...root, requires: [...requires] });
  }
  if (!packages.has('')) {
    packages.set('', {
      location: '',
      name: '',
      version: '',
      dev: false,
      source: 'project',
      spec: '',
      requires: [],
    });
  }
  return packages;
}

function readVersion1(json: Json, manifest: Json | undefined): Map<string, LockedPackage> {
  const packages = new Map<string, LockedPackage>();
  const top = isObject(json.dependencies) ? json.dependencies : {};
  const walk = (entries: Json, parent: string): void => {
    for (const [folderName, value] of Object.entries(entries)) {
      if (!isObject(value)) throw new LockfileError(`dependency "${folderName}" is not an object`);
      const location = `${parent === '' ? '' : `${parent}/`}node_modules/${folderName}`;
      let name = folderName;
      let version = typeof value.version === 'string' ? value.version : '';
      const alias = /^npm:((?:@[^/@]+\/)?[^@]+)@(.+)$/u.exec(version);
      if (alias?.[1] !== undefined && alias[2] !== undefined) [name, version] = [alias[1], alias[2]];
      const resolved = typeof value.resolved === 'string' ? value.resolved : undefined;
      const fromSpec = semver.valid(version) === null ? version : undefined;
      packages.set(location, {
        location,
        name,
        version,
        dev: value.dev === true,
        source:
          fromSpec !== undefined && fromSpec.startsWith('file:') && !fromSpec.startsWith('file:..')
            ? 'project'
            : sourceOf(name, version, resolved ?? fromSpec),
        spec: resolved ?? version,
        requires: isObject(value.requires) ? Object.keys(value.requires) : [],
      });
      if (isObject(value.dependencies)) walk(value.dependencies, location);
    }
  };
  walk(top, '');
  packages.set('', {
    location: '',
    name: rootName(json),
    version: typeof json.version === 'string' ? json.version : '',
    dev: false,
    source: 'project',
    spec: '',
    // A v1 lockfile does not list what the root requires: its package.json does, else every top entry.
    requires: manifest === undefined ? Object.keys(top) : dependencyNames(manifest, ROOT_DEPENDENCY_KEYS),
  });
  return packages;
}

/**
 * A link inside the project (a workspace, `file:./x`) is the project's own code; one leaving it
 * (`../other`, an absolute path) is a dependency nobody publishes advisories for.
 */
function linkSource(target: string): DependencySource {
  return target.startsWith('..') || target.startsWith('/') || /^[A-Za-z]:/u.test(target) ? 'link' : 'project';
}

/** Registry, or the kind of source an advisory database cannot know about. */
export function sourceOf(name: string, version: string, resolved: string | undefined): DependencySource {
  const spec = resolved ?? version;
  if (/^(?:git\+|git:|github:|gitlab:|bitbucket:|gist:)/u.test(spec) || spec.includes('codeload.github.com/'))
    return 'git';
  if (spec.startsWith('file:')) return 'file';
  if (spec.startsWith('link:')) return 'link';
  if (/^https?:\/\//u.test(spec)) {
    const unscoped = name.slice(name.lastIndexOf('/') + 1);
    const registryTarball =
      spec.includes('/-/') && spec.split(/[?#]/u)[0]?.endsWith(`/${unscoped}-${version}.tgz`);
    return registryTarball === true && semver.valid(version) !== null ? 'registry' : 'tarball';
  }
  if (resolved === undefined && semver.valid(version) !== null) return 'registry';
  return semver.valid(spec) !== null ? 'registry' : 'unknown';
}

function dependencyNames(value: Json, keys: readonly string[]): string[] {
  const names = new Set<string>();
  for (const key of keys) {
    const map = value[key];
    if (isObject(map)) for (const name of Object.keys(map)) names.add(name);
  }
  return [...names];
}

function rootName(json: Json): string {
  const root = isObject(json.packages) ? json.packages[''] : undefined;
  if (isObject(root) && typeof root.name === 'string') return root.name;
  return typeof json.name === 'string' ? json.name : '';
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Where a package requiring `name` from `from` finds it, as Node does: `from/node_modules/name`,
 * then up one directory at a time to the root's `node_modules/name`. A link leads to its target.
 */
export function resolveDependency(lockfile: Lockfile, from: string, name: string): LockedPackage | undefined {
  let dir = from;
  for (;;) {
    const found = lockfile.packages.get(`${dir === '' ? '' : `${dir}/`}node_modules/${name}`);
    if (found !== undefined) return found;
    if (dir === '') return undefined;
    const slash = dir.lastIndexOf('/');
    dir = slash < 0 ? '' : dir.slice(0, slash);
    if (dir.endsWith('/node_modules') || dir === 'node_modules') {
      dir = dir.slice(0, Math.max(0, dir.length - '/node_modules'.length));
    }
  }
}

/**
 * The 1-based line and column of a package's entry in the lockfile text: `"node_modules/a": {`
 * (v2, v3), or the nested `"a": {` whose version matches (v1); `{ line: 0, column: 0 }` when not found.
 */
export function entryPosition(
  text: string,
  lockfile: Lockfile,
  pkg: LockedPackage,
): { line: number; column: number } {
  let index = -1;
  if (lockfile.lockfileVersion === 1) {
    const folderName = pkg.location.slice(pkg.location.lastIndexOf('node_modules/') + 13);
    const key = `${JSON.stringify(folderName)}: {`;
    for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + 1)) {
      const body = text.slice(at, text.indexOf('}', at));
      if (body.includes(`"version": ${JSON.stringify(pkg.version)}`) || body.includes(`@${pkg.version}"`)) {
        index = at;
        break;
      }
    }
  } else {
    index = text.indexOf(`${JSON.stringify(pkg.location)}: {`);
  }
  if (index < 0) return { line: 0, column: 0 };
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}

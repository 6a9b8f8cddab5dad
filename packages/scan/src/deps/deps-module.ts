import type { FindingInput, ScanFailure } from '../finding.ts';
import type { ModuleReport, ScanContext, ScanFile, ScanModule } from '../scan-module.ts';
import { affectedBy, fixedVersionOf, type Advisory, type AdvisorySource } from './advisories.ts';
import { DEPS_RULES } from './deps-rules.ts';
import { dependencyPaths } from './dependency-paths.ts';
import {
  declaresDependencies,
  isLocked,
  NPM_LOCKFILES,
  OTHER_LOCKFILES,
  workspaceGlobs,
  type LockedDirectory,
} from './lockfile-coverage.ts';
import {
  entryPosition,
  parseLockfile,
  resolveDependency,
  type LockedPackage,
  type Lockfile,
} from './lockfile.ts';
import { registryAdvisories } from './registry-advisories.ts';

export interface DepsOptions {
  /** Where advisories come from: the npm registry's bulk endpoint (default) or an OSV export. */
  readonly advisories?: AdvisorySource;
  /** Only what `npm ci --omit=dev` installs (`--prod-only`). */
  readonly prodOnly?: boolean;
}

/** The files the module reads: npm lockfiles, the package.json next to them, other managers' lockfiles. */
export function isDependencyFile(path: string): boolean {
  const name = path.split('/').at(-1) ?? path;
  return name === 'package.json' || NPM_LOCKFILES.includes(name) || OTHER_LOCKFILES.includes(name);
}

/** One npm lockfile read, with what the findings need. */
interface ReadLockfile {
  readonly file: ScanFile;
  readonly text: string;
  readonly lockfile: Lockfile;
  readonly paths: Map<string, readonly string[]>;
  /** Locations a project package (the root, a workspace) requires directly. */
  readonly direct: ReadonlySet<string>;
}

/**
 * The `deps` module: every npm lockfile (v1–v3) of the tree checked against an advisory source,
 * naming for each vulnerable package the advisory, its fixed version, whether it is a dev
 * dependency and the shortest path that pulls it in; dependencies no advisory database can cover
 * (git, local paths outside the project, tarball URLs); and package.json files with no lockfile.
 * An advisory source that cannot answer is a failure (exit 2): the scan never says "clean" then.
 *
 * @example
 * const deps = createDepsModule({ advisories: osvAdvisories('./osv-npm'), prodOnly: true });
 * await runScan({ root: '.', modules: [deps] });
 */
export function createDepsModule(options: DepsOptions = {}): ScanModule {
  const prodOnly = options.prodOnly === true;
  return {
    id: 'deps',
    name: 'Dependencies',
    rules: DEPS_RULES,
    accepts: (file) => isDependencyFile(file.path),
    async scan(context: ScanContext): Promise<ModuleReport> {
      const findings: FindingInput[] = [];
      const failures: Omit<ScanFailure, 'module'>[] = [];
      const directories = new Map<
        string,
        LockedDirectory & { manifest?: ScanFile; parsedManifest?: unknown }
      >();
      const read: ReadLockfile[] = [];
      const readJson = async (file: ScanFile): Promise<{ text: string; json: unknown } | undefined> => {
        try {
          const text = await context.readText(file);
          return { text, json: JSON.parse(text) as unknown };
        } catch (error) {
          failures.push({ file: file.path, message: `cannot read: ${describe(error)}` });
          return undefined;
        }
      };
      const byDirectory = Map.groupBy(context.files, (file) => dirOf(file.path));
      for (const [dir, files] of byDirectory) {
        const names = files.map((file) => file.path.slice(dir === '' ? 0 : dir.length + 1));
        const manifestFile = files.find((file) => file.path.endsWith('package.json'));
        const manifest = manifestFile === undefined ? undefined : await readJson(manifestFile);
        const npm: Lockfile[] = [];
        for (const file of files.filter((f) => NPM_LOCKFILES.some((name) => f.path.endsWith(name)))) {
          let text: string;
          try {
            text = await context.readText(file);
            const lockfile = parseLockfile(text, manifest?.json);
            npm.push(lockfile);
            read.push({
              file,
              text,
              lockfile,
              paths: dependencyPaths(lockfile),
              direct: directLocations(lockfile),
            });
          } catch (error) {
            failures.push({
              file: file.path,
              message: `cannot read the lockfile (${describe(error)}): its dependencies were not checked; regenerate it with \`npm install --package-lock-only\``,
            });
          }
        }
        const others = names.filter((name) => OTHER_LOCKFILES.includes(name));
        if (npm.length === 0 && others.length > 0 && !names.some((name) => NPM_LOCKFILES.includes(name))) {
          failures.push({
            file: `${dir === '' ? '' : `${dir}/`}${others[0] ?? ''}`,
            message: `${others.join(', ')} is not read by this scanner (npm lockfiles only): its dependencies were not checked; produce a package-lock.json (\`npm install --package-lock-only\`) or skip the path with --exclude`,
          });
        }
        directories.set(dir, {
          dir,
          lockfiles: names.filter((name) => NPM_LOCKFILES.includes(name) || OTHER_LOCKFILES.includes(name)),
          npm,
          workspaces: workspaceGlobs(manifest?.json),
          ...(manifestFile === undefined ? {} : { manifest: manifestFile, parsedManifest: manifest?.json }),
        });
      }
      for (const holder of directories.values()) {
        if (holder.manifest === undefined || !declaresDependencies(holder.parsedManifest)) continue;
        if (isLocked(holder.dir, directories)) continue;
        const text = await context.readText(holder.manifest);
        const line =
          text.split(/\r?\n/u).findIndex((l) => /"(?:dev|optional)?[dD]ependencies"\s*:/u.test(l)) + 1;
        findings.push({
          ruleId: 'deps/lockfile-missing',
          location: { file: holder.manifest.path, line, column: line === 0 ? 0 : 1 },
          key: 'package.json',
          message: `${holder.manifest.path} declares dependencies but no lockfile locks them: every install resolves them anew`,
        });
      }
      const wanted = (pkg: LockedPackage): boolean => !prodOnly || !pkg.dev;
      for (const entry of read) findings.push(...unscannable(entry, wanted));
      const query = new Map<string, Set<string>>();
      for (const { lockfile } of read) {
        for (const pkg of lockfile.packages.values()) {
          if (pkg.source !== 'registry' || !wanted(pkg)) continue;
          const versions = query.get(pkg.name) ?? new Set<string>();
          versions.add(pkg.version);
          query.set(pkg.name, versions);
        }
      }
      if (query.size > 0) {
        const source = options.advisories ?? registryAdvisories();
        try {
          const advisories = await source.lookup(query);
          for (const entry of read) findings.push(...vulnerabilities(entry, advisories, wanted));
        } catch (error) {
          failures.push({
            message: `could not check ${query.size} packages of ${read.map((r) => r.file.path).join(', ')} against ${source.description}, so none of them is known clean: ${describe(error)}. Fix: ${source.remedy}`,
          });
        }
      }
      return { findings, failures, scanned: context.files.length };
    },
  };
}

/** The module with the npm registry as advisory source: what `SCAN_MODULES` lists. */
export const depsModule: ScanModule = createDepsModule();

function vulnerabilities(
  entry: ReadLockfile,
  advisories: ReadonlyMap<string, readonly Advisory[]>,
  wanted: (pkg: LockedPackage) => boolean,
): FindingInput[] {
  const findings: FindingInput[] = [];
  for (const [id, installs] of groupInstalls(entry, wanted)) {
    const [first] = installs;
    if (first === undefined) continue;
    const seen = new Set<string>();
    for (const advisory of advisories.get(first.name) ?? []) {
      const affected = affectedBy(advisory, first.version);
      if (affected === undefined || seen.has(advisory.id)) continue;
      seen.add(advisory.id);
      const shown = shortest(entry, installs);
      const path = entry.paths.get(shown.location);
      const dev = installs.every((pkg) => pkg.dev);
      const fixed =
        affected.fixed ??
        (affected.fixedFromRange === true ? fixedVersionOf(affected.range, first.version) : undefined);
      const fixedText =
        fixed === undefined
          ? 'no fixed version'
          : fixed.startsWith('>')
            ? `fixed after ${fixed.slice(1)}`
            : `fixed in ${fixed}`;
      const cwe = advisory.cwe.length === 0 ? '' : `, ${advisory.cwe.map((n) => `CWE-${n}`).join(', ')}`;
      findings.push({
        ruleId: 'deps/known-vulnerability',
        location: { file: entry.file.path, ...entryPosition(entry.text, entry.lockfile, shown) },
        key: `${id} ${advisory.id}`,
        message: `${id}: ${advisory.title} (${advisory.id}${cwe}, ${advisory.url}); ${fixedText}; ${dev ? 'dev' : 'production'} dependency, pulled in by ${path === undefined ? `${shown.location} (nothing requires it)` : path.join(' > ')}${installs.length > 1 ? ` (${installs.length} copies)` : ''}`,
        fix: fixFor(
          first.name,
          fixed,
          installs.some((pkg) => entry.direct.has(pkg.location)),
          path,
        ),
        severity: advisory.severity,
        ...(advisory.cwe.length === 0 ? {} : { cwe: advisory.cwe }),
      });
    }
  }
  return findings;
}

function fixFor(
  name: string,
  fixed: string | undefined,
  direct: boolean,
  path: readonly string[] | undefined,
): string {
  if (fixed === undefined)
    return `no release fixes it: replace or remove ${name}, or accept the risk in the baseline with the reason it does not apply`;
  const target = fixed.startsWith('>') ? `the first release after ${fixed.slice(1)}` : fixed;
  if (direct)
    return `upgrade ${name} to ${target} or later (\`npm install ${name}@^${fixed.replace(/^>/u, '')}\`), then commit the lockfile`;
  const parent = path !== undefined && path.length > 2 ? path[path.length - 2] : undefined;
  return `upgrade ${name} to ${target} or later: update ${parent ?? 'the package that pulls it in'} to a release that allows it (\`npm update ${name}\` when its range already does), or add \`"overrides": { "${name}": "^${fixed.replace(/^>/u, '')}" }\` to package.json, then commit the lockfile`;
}

function unscannable(entry: ReadLockfile, wanted: (pkg: LockedPackage) => boolean): FindingInput[] {
  const findings: FindingInput[] = [];
  for (const pkg of entry.lockfile.packages.values()) {
    if (pkg.source === 'registry' || pkg.source === 'project' || !wanted(pkg)) continue;
    const spec = redactCredentials(pkg.spec);
    const path = entry.paths.get(pkg.location);
    findings.push({
      ruleId: 'deps/unscannable-dependency',
      location: { file: entry.file.path, ...entryPosition(entry.text, entry.lockfile, pkg) },
      key: `${pkg.location} ${spec}`,
      message: `${pkg.name}${pkg.version === '' || pkg.version === pkg.spec ? '' : `@${pkg.version}`} comes from ${SOURCE_NAMES[pkg.source]} (${spec}): no advisory database covers it; ${pkg.dev ? 'dev' : 'production'} dependency, pulled in by ${path?.join(' > ') ?? pkg.location}`,
    });
  }
  return findings;
}

const SOURCE_NAMES: Readonly<Record<LockedPackage['source'], string>> = {
  registry: 'the registry',
  project: 'the project',
  git: 'a git repository',
  file: 'a local file',
  link: 'a link outside the project',
  tarball: 'a tarball URL',
  unknown: 'a source the lockfile does not name',
};

/** The installs of each `name@version` (a package can be locked at several locations). */
function groupInstalls(
  entry: ReadLockfile,
  wanted: (pkg: LockedPackage) => boolean,
): Map<string, LockedPackage[]> {
  const groups = new Map<string, LockedPackage[]>();
  for (const pkg of entry.lockfile.packages.values()) {
    if (pkg.source !== 'registry' || !wanted(pkg)) continue;
    const id = `${pkg.name}@${pkg.version}`;
    groups.set(id, [...(groups.get(id) ?? []), pkg]);
  }
  return groups;
}

/** The install with the shortest path from the root (then the first in the lockfile). */
function shortest(entry: ReadLockfile, installs: readonly LockedPackage[]): LockedPackage {
  const length = (pkg: LockedPackage): number =>
    entry.paths.get(pkg.location)?.length ?? Number.MAX_SAFE_INTEGER;
  return installs.reduce((best, pkg) => (length(pkg) < length(best) ? pkg : best));
}

function directLocations(lockfile: Lockfile): Set<string> {
  const direct = new Set<string>();
  for (const pkg of lockfile.packages.values()) {
    if (pkg.source !== 'project' || pkg.location.includes('node_modules/')) continue;
    for (const name of pkg.requires) {
      const found = resolveDependency(lockfile, pkg.location, name);
      if (found !== undefined) direct.add(found.location);
    }
  }
  return direct;
}

/**
 * `git+https://user:token@host/…` → `git+https://***@host/…`: a lockfile can carry a token (the
 * `git@` of an SSH URL is a user name and stays).
 */
export function redactCredentials(spec: string): string {
  return spec.replace(/\/\/([^/@\s]+)@/u, (whole, userinfo: string) =>
    userinfo === 'git' ? whole : '//***@',
  );
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

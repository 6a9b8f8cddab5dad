import { resolveDependency, type LockedPackage, type Lockfile } from './lockfile.ts';

/**
 * The shortest chain of requirements from the root to every installed location (breadth first,
 * following links into workspaces), as the names a reader knows: `shop > express@4.17.1 > qs@6.7.0`.
 * A location nothing reaches (an extraneous entry) has no path.
 *
 * @example
 * const paths = dependencyPaths(lockfile);
 * paths.get('node_modules/qs'); // ['shop', 'express@4.17.1', 'qs@6.7.0']
 */
export function dependencyPaths(lockfile: Lockfile): Map<string, readonly string[]> {
  const root = lockfile.packages.get('');
  const paths = new Map<string, readonly string[]>();
  if (root === undefined) return paths;
  paths.set('', [lockfile.rootName === '' ? '(root)' : lockfile.rootName]);
  const queue: LockedPackage[] = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const from = paths.get(next.location) ?? [];
    for (const name of next.requires) {
      const found = resolveDependency(lockfile, next.location, name);
      if (found === undefined) continue; // an optional dependency not installed on this platform
      const target = found.linkTarget === undefined ? found : lockfile.packages.get(found.linkTarget);
      const step =
        found.linkTarget === undefined && found.version !== ''
          ? `${found.name}@${found.version}`
          : found.name;
      for (const reached of target === undefined || target === found ? [found] : [found, target]) {
        if (paths.has(reached.location)) continue;
        paths.set(reached.location, [...from, step]);
        queue.push(reached);
      }
    }
  }
  return paths;
}

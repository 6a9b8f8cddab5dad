import { existsSync } from 'node:fs';
import { dirname, extname, join, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Where Rampart's own code lives. Installed from packages (`npm install @rampart/cli`), it is the
 * project holding the outermost `node_modules` the CLI sits in; in a checkout of the repository,
 * the directory holding `node_modules`, found from this file.
 * Components get read access to its `node_modules` (and, in a checkout, `packages` and `services`)
 * and nothing else of it.
 */
export function installationRoot(from: string = import.meta.dirname): string {
  const installed = installedRoot(from);
  if (installed !== undefined) return installed;
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'node_modules'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find node_modules above ${from}: run 'npm ci' first`);
    dir = parent;
  }
}

/**
 * Directories of library code every component may read: an installation's `node_modules`, and in
 * a checkout the workspaces it links to (`packages`, `services`). An installed CLI never grants a
 * project's own `packages/` or `services/` this way: a service reads its own directory only.
 */
export function libraryDirs(root: string, from: string = import.meta.dirname): string[] {
  const dirs =
    installedRoot(from) === undefined ? ['node_modules', 'packages', 'services'] : ['node_modules'];
  return dirs.map((d) => join(root, d)).filter((d) => existsSync(d));
}

/** The platform's components that run from Rampart's own packages, by the package each lives in. */
export const COMPONENT_PACKAGES = {
  mesh: '@rampart/mesh-service',
  identity: '@rampart/identity',
  audit: '@rampart/audit',
  gateway: '@rampart/gateway',
  /** Not a kind of its own: it runs as the service it stands for (`upstream` in rampart.yaml). */
  sidecar: '@rampart/sidecar',
} as const;

/**
 * The file `rampart up` runs for a component: the `main` module beside its package's entry point,
 * resolved like an import, so it is `src/main.ts` in a checkout and the compiled `src/main.js` in
 * an installation (Node does not strip types under `node_modules`).
 *
 * @example
 * componentEntry('@rampart/gateway'); // '/…/services/gateway/src/main.ts' in a checkout
 */
export function componentEntry(packageName: string): string {
  const index = fileURLToPath(import.meta.resolve(packageName));
  const entry = join(dirname(index), `main${extname(index)}`);
  if (!existsSync(entry)) {
    throw new Error(`${packageName} has no ${entry}: reinstall @rampart/cli (npm install @rampart/cli)`);
  }
  return entry;
}

/**
 * The web console's package directory (its browser sources and the server module the gateway
 * loads), found the way the gateway finds it: from the gateway's own package.
 */
export function consoleDir(gatewayEntry: string = componentEntry(COMPONENT_PACKAGES.gateway)): string {
  const server = createRequire(gatewayEntry).resolve('@rampart/console');
  return dirname(dirname(server));
}

/** The project an installed CLI belongs to: the directory before the first `node_modules` of `from`. */
function installedRoot(from: string): string | undefined {
  const parts = from.split(sep);
  const at = parts.indexOf('node_modules');
  return at <= 0 ? undefined : parts.slice(0, at).join(sep) || sep;
}

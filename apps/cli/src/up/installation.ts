import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where Rampart's own code lives: the directory holding `node_modules`, found from this file.
 * Components get read access to its `node_modules` and `packages` (libraries) and nothing else of it.
 */
export function installationRoot(from: string = import.meta.dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'node_modules'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find node_modules above ${from}: run 'npm ci' first`);
    dir = parent;
  }
}

/** Directories of library code every component may read. */
export function libraryDirs(root: string): string[] {
  return ['node_modules', 'packages', 'services'].map((d) => join(root, d)).filter((d) => existsSync(d));
}

import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { publishManifest, type PublishManifest, type SourceManifest } from './manifest.ts';
import type { Publishable } from './publishable.ts';

/** A staged package: a directory `npm pack` can pack as it is. */
export interface StagedPackage {
  readonly dir: string;
  readonly manifest: PublishManifest;
}

export interface StageOptions {
  readonly root: string;
  /** Where `compile` wrote the JavaScript and declarations. */
  readonly compiledDir: string;
  readonly stageDir: string;
}

/** Files of an asset directory that are not shipped: the console's editor-only tsconfig. */
const NOT_SHIPPED = new Set(['tsconfig.json']);

/** The package.json of each publishable workspace, as it is in the repository. */
export function sourceManifests(root: string, publishable: readonly Publishable[]): SourceManifest[] {
  return publishable.map(
    (p) => JSON.parse(readFileSync(join(root, p.dir, 'package.json'), 'utf8')) as SourceManifest,
  );
}

/**
 * Lays out one package for `npm pack` in `stageDir/<name>`: the compiled code directories, the
 * asset directories and the README as they are, and a publish-ready package.json (`publishManifest`).
 * The repository's own package.json files are not changed.
 */
export function stagePackage(
  publishable: Publishable,
  source: SourceManifest,
  versions: ReadonlyMap<string, string>,
  options: StageOptions,
): StagedPackage {
  const { root, compiledDir, stageDir } = options;
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    license: string;
    engines: { node: string };
  };
  const dir = join(stageDir, basename(source.name));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const code of publishable.code) {
    const from = join(compiledDir, publishable.dir, code);
    if (!existsSync(from)) throw new Error(`${source.name}: nothing was compiled into ${from}`);
    cpSync(from, join(dir, code), { recursive: true });
  }
  for (const asset of publishable.assets) {
    cpSync(join(root, publishable.dir, asset), join(dir, asset), {
      recursive: true,
      filter: (file) => !NOT_SHIPPED.has(basename(file)),
    });
  }
  const readme = existsSync(join(root, publishable.dir, 'README.md'));
  if (readme) cpSync(join(root, publishable.dir, 'README.md'), join(dir, 'README.md'));
  const manifest = publishManifest(source, {
    versions,
    node: rootManifest.engines.node,
    license: rootManifest.license,
    code: publishable.code,
    files: [...publishable.code, ...publishable.assets, ...(readme ? ['README.md'] : [])],
  });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest };
}

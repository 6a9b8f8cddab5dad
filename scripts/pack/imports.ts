import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import type { StagedPackage } from './stage.ts';

const BUILTINS = new Set(builtinModules);

/**
 * Every package a staged package's compiled JavaScript imports (`import`, `export … from`, `import()`)
 * that its package.json does not declare: such an import works in the
 * workspace, where everything is hoisted, and fails in a user's project. Empty when all is declared.
 */
export function undeclaredImports(staged: StagedPackage): string[] {
  const declared = new Set([staged.manifest.name, ...Object.keys(staged.manifest.dependencies ?? {})]);
  const missing = new Set<string>();
  for (const file of readdirSync(staged.dir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.js') || file.startsWith('node_modules')) continue;
    if (!staged.manifest.files.some((dir) => file.startsWith(`${dir}/`))) continue;
    for (const specifier of importedSpecifiers(readFileSync(join(staged.dir, file), 'utf8'))) {
      const name = packageName(specifier);
      if (name !== undefined && !declared.has(name)) missing.add(`${name} (${file})`);
    }
  }
  return [...missing].sort();
}

function importedSpecifiers(code: string): string[] {
  return ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
}

/** `@scope/name/sub` → `@scope/name`; undefined for relative paths and Node built-ins. */
function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

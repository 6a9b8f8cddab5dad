import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Publishable } from './publishable.ts';

const run = promisify(execFile);

/**
 * Compiles every publishable workspace's code in one TypeScript program into `outDir`, keeping the
 * repository's layout (`packages/sdk/src/index.ts` → `outDir/packages/sdk/src/index.js` and `.d.ts`).
 * Relative `.ts` imports become `.js` (`rewriteRelativeImportExtensions`); the repository's strict
 * settings apply unchanged, so what is packed is what `npm run typecheck` checked.
 */
export async function compile(
  root: string,
  publishable: readonly Publishable[],
  outDir: string,
): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const tsconfig = join(outDir, 'tsconfig.pack.json');
  writeFileSync(
    tsconfig,
    JSON.stringify(
      {
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: {
          noEmit: false,
          allowImportingTsExtensions: false,
          rewriteRelativeImportExtensions: true,
          declaration: true,
          rootDir: root,
          outDir,
          typeRoots: [join(root, 'node_modules/@types')],
        },
        include: publishable.flatMap((p) => p.code.map((dir) => join(root, p.dir, dir))),
      },
      null,
      2,
    ),
  );
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  try {
    await run(process.execPath, [tsc, '-p', tsconfig], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed:\n${stdout}${stderr}`, { cause: error });
  }
}

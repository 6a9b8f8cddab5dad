// `npm run pack`: the publishable workspaces as npm tarballs, without changing how the repository
// runs. See docs/adr/0013-packing-compiled-packages.md and ARCHITECTURE.md ("Packages").
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compile } from './compile.ts';
import { undeclaredImports } from './imports.ts';
import { npmPack } from './npm-pack.ts';
import { PUBLISHABLE } from './publishable.ts';
import { sourceManifests, stagePackage } from './stage.ts';

const usage = `Usage: npm run pack -- [--out <dir>]

Compiles @rampart/sdk, @rampart/cli and the packages they need to JavaScript with declarations,
stages each with a publish-ready package.json and packs it with npm pack.

  --out <dir>   where to write build/, stage/ and the tarballs (default: dist/pack)
`;

const root = resolve(import.meta.dirname, '../..');

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string', default: join(root, 'dist/pack') }, help: { type: 'boolean' } },
  });
  if (values.help === true) {
    process.stdout.write(usage);
    return 0;
  }
  const out = resolve(values.out);
  const compiledDir = join(out, 'build');
  const stageDir = join(out, 'stage');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  const step = (text: string): void => {
    process.stdout.write(`${text}\n`);
  };
  const sources = sourceManifests(root, PUBLISHABLE);
  const versions = new Map(sources.map((s) => [s.name, s.version]));
  step(`compiling ${String(PUBLISHABLE.length)} workspaces with tsc (declarations, .ts → .js)…`);
  let started = Date.now();
  await compile(root, PUBLISHABLE, compiledDir);
  step(`  compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const staged = PUBLISHABLE.map((publishable, i) => {
    const source = sources[i];
    if (source === undefined) throw new Error(`no package.json for ${publishable.dir}`);
    const package_ = stagePackage(publishable, source, versions, { root, compiledDir, stageDir });
    step(`staged ${package_.manifest.name}@${package_.manifest.version} from ${publishable.dir}`);
    return package_;
  });
  const undeclared = staged.flatMap((s) =>
    undeclaredImports(s).map((m) => `${s.manifest.name} imports ${m}`),
  );
  if (undeclared.length > 0) {
    process.stderr.write(
      `✗ imports not declared as dependencies (they would fail in a user's project):\n  ${undeclared.join('\n  ')}\n` +
        'Add each to the dependencies of the workspace that imports it.\n',
    );
    return 1;
  }

  started = Date.now();
  const tarballs = [];
  for (const package_ of staged) {
    const packed = await npmPack(package_.dir, out);
    step(
      `packed ${packed.filename} (${(packed.size / 1024).toFixed(0)} kB, ${String(packed.entryCount)} files)`,
    );
    tarballs.push(join(out, packed.filename));
  }
  step(
    `\n✓ ${String(tarballs.length)} tarballs in ${out} (packed in ${((Date.now() - started) / 1000).toFixed(1)} s):`,
  );
  for (const tarball of tarballs) step(`  ${tarball}`);
  step(
    'Install them together (npm install <every tarball>), never one alone: see README.md, "Use Rampart in your project".',
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

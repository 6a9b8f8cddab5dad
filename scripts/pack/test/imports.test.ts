import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { undeclaredImports } from '../imports.ts';
import type { PublishManifest } from '../manifest.ts';

describe('undeclaredImports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-pack-imports-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(join(dir, 'src/deep'), { recursive: true });
  writeFileSync(
    join(dir, 'src/index.js'),
    [
      "import { readFileSync } from 'node:fs';",
      "import path from 'path';",
      "import { a } from './deep/a.js';",
      "import { Agent } from 'undici';",
      "export { b } from '@rampart/config/sub';",
      "const lazy = await import('pg');",
      "import '@rampart/testing';",
    ].join('\n'),
  );
  writeFileSync(join(dir, 'src/deep/a.js'), "import 'fastify';\nexport const a = 1;\n");
  const manifest: PublishManifest = {
    name: '@rampart/example',
    version: '0.1.0',
    license: 'Apache-2.0',
    type: 'module',
    engines: { node: '>=24' },
    files: ['src'],
    dependencies: { undici: '^8', '@rampart/config': '0.1.0' },
    publishConfig: { access: 'public' },
  };

  it('names each imported package the manifest does not declare, with the file importing it', () => {
    assert.deepEqual(undeclaredImports({ dir, manifest }), [
      '@rampart/testing (src/index.js)',
      'fastify (src/deep/a.js)',
      'pg (src/index.js)',
    ]);
  });

  it('is empty once every import is declared', () => {
    const complete = {
      ...manifest,
      dependencies: { ...manifest.dependencies, fastify: '^5', pg: '^8', '@rampart/testing': '0.1.0' },
    };
    assert.deepEqual(undeclaredImports({ dir, manifest: complete }), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { publishManifest, type ManifestContext, type SourceManifest } from '../manifest.ts';

const context: ManifestContext = {
  versions: new Map([
    ['@rampart/config', '0.1.0'],
    ['@rampart/gateway', '0.1.0'],
  ]),
  node: '>=24.11 <25',
  license: 'Apache-2.0',
  files: ['src', 'README.md'],
  code: ['src'],
};

const gateway: SourceManifest = {
  name: '@rampart/gateway',
  version: '0.1.0',
  private: true,
  type: 'module',
  description: 'The gateway.',
  exports: { '.': './src/index.ts', './testing': './test/support/index.ts', './internal/*': null },
  dependencies: { '@rampart/config': '*', undici: '^8.13.1' },
  devDependencies: { '@rampart/testing': '*' },
};

describe('publishManifest', () => {
  it('points exports at the compiled module and its declarations, and keeps internals closed', () => {
    const manifest = publishManifest(gateway, context);
    assert.deepEqual(manifest.exports, {
      '.': { types: './src/index.d.ts', default: './src/index.js' },
      './internal/*': null,
    });
  });

  it('pins internal dependencies to the packed version and keeps registry ranges', () => {
    assert.deepEqual(publishManifest(gateway, context).dependencies, {
      '@rampart/config': '0.1.0',
      undici: '^8.13.1',
    });
  });

  it('drops private, devDependencies and test-only exports; adds engines, license, files', () => {
    const manifest = publishManifest(gateway, context) as unknown as Record<string, unknown>;
    assert.equal(manifest['private'], undefined);
    assert.equal(manifest['devDependencies'], undefined);
    assert.deepEqual(manifest['engines'], { node: '>=24.11 <25' });
    assert.equal(manifest['license'], 'Apache-2.0');
    assert.deepEqual(manifest['files'], ['src', 'README.md']);
  });

  it('turns a TypeScript bin into the compiled one', () => {
    const cli: SourceManifest = {
      name: '@rampart/cli',
      version: '0.1.0',
      type: 'module',
      bin: { rampart: './src/main.ts' },
    };
    assert.deepEqual(publishManifest(cli, context).bin, { rampart: './src/main.js' });
  });

  it('refuses a dependency on a workspace that is not published', () => {
    const leaky: SourceManifest = { ...gateway, dependencies: { '@rampart/testing': '*' } };
    assert.throws(
      () => publishManifest(leaky, context),
      /depends on @rampart\/testing, which is not published/,
    );
  });

  it('refuses an export or a bin outside the compiled code', () => {
    const stray: SourceManifest = { ...gateway, exports: { '.': './server/index.ts' } };
    assert.throws(
      () => publishManifest(stray, context),
      /\.\/server\/index\.ts is not a TypeScript module under src/,
    );
    const script: SourceManifest = { ...gateway, bin: { rampart: './src/main.sh' } };
    assert.throws(() => publishManifest(script, context), /main\.sh is not a TypeScript module/);
  });

  it('refuses a package that is not an ES module package', () => {
    const commonjs: SourceManifest = { ...gateway, type: 'commonjs' };
    assert.throws(() => publishManifest(commonjs, context), /expected "type": "module"/);
  });
});

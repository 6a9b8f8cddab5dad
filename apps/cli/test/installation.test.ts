import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { componentEntry, consoleDir, installationRoot, libraryDirs } from '../src/up/installation.ts';

const repo = resolve(import.meta.dirname, '../../..');

describe('where rampart up finds Rampart: a checkout and an installation', () => {
  const project = mkdtempSync(join(tmpdir(), 'rampart-installation-'));
  const cli = join(project, 'node_modules/@rampart/cli/src/up');
  // npm may nest a dependency of the CLI's own; the project's node_modules still holds the rest.
  mkdirSync(join(project, 'node_modules/@rampart/cli/node_modules'), { recursive: true });
  mkdirSync(cli, { recursive: true });
  mkdirSync(join(project, 'services/hello'), { recursive: true });
  mkdirSync(join(project, 'packages'), { recursive: true });
  after(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('in a checkout: the repository, with its node_modules and the workspaces it links to', () => {
    assert.equal(installationRoot(), repo);
    assert.deepEqual(
      libraryDirs(repo),
      ['node_modules', 'packages', 'services'].map((d) => join(repo, d)),
    );
  });

  it('installed: the project whose node_modules holds the CLI, never a nested node_modules', () => {
    assert.equal(installationRoot(cli), project);
  });

  it("installed: components read the project's node_modules only, not its own packages/ or services/", () => {
    assert.deepEqual(libraryDirs(project, cli), [join(project, 'node_modules')]);
  });

  it("resolves each component's main module and the console like an import, beside the package entry", () => {
    assert.equal(componentEntry('@rampart/gateway'), join(repo, 'services/gateway/src/main.ts'));
    assert.equal(componentEntry('@rampart/mesh-service'), join(repo, 'services/mesh/src/main.ts'));
    assert.equal(consoleDir(), join(repo, 'apps/console'));
  });

  it('names the package to reinstall when a component has no main module', () => {
    assert.throws(
      () => componentEntry('@rampart/errors'),
      /@rampart\/errors has no .*main\.ts: reinstall @rampart\/cli/,
    );
  });
});

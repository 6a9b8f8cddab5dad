import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '@rampart/testing';

const repo = resolve(import.meta.dirname, '../../..');
const read = (path: string): string => readFileSync(join(repo, path), 'utf8');

describe('the README does not lie', () => {
  it('has a two-line quickstart: npm ci && npm start, npm ci && npm test', () => {
    const block = /## Quickstart\s+```sh\n([\s\S]*?)```/.exec(read('README.md'))?.[1] ?? '';
    const commands = block
      .trim()
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim());
    assert.deepEqual(commands, ['npm ci && npm start', 'npm ci && npm test']);
  });

  it('.ci/run installs with npm ci and runs exactly the README test command', () => {
    const run = read('.ci/run');
    assert.match(run, /^npm ci\b/m);
    assert.match(run, /^npm test$/m);
    assert.match(run, /^export RAMPART_REQUIRE_SERVICES=1$/m);
  });

  it('npm start runs rampart up on the shop example, on the pinned Node 24', () => {
    const pkg = JSON.parse(read('package.json')) as {
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
      engines: { node: string };
    };
    assert.match(pkg.scripts['start'] ?? '', /main\.ts up --default examples\/shop\/rampart\.yaml$/);
    assert.match(pkg.devDependencies['node'] ?? '', /^\^?24\./);
    assert.match(pkg.engines.node, /24/);
    assert.equal(process.versions.node.split('.')[0], '24', 'tests run on the pinned Node 24');
  });

  it('npm start -- other.yaml runs that file, not the shop', async () => {
    const dir = await tempDir('rampart-npm-start-');
    try {
      const other = join(dir.path, 'other.yaml');
      writeFileSync(other, 'version: 1\nname: other\nservices: {}\nbogus: true\n');
      const run = spawnSync('npm', ['start', '--silent', '--', other], {
        cwd: repo,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.status, 1, run.stderr);
      assert.match(`${run.stdout}${run.stderr}`, /other\.yaml:4:1 error CFG_UNKNOWN_KEY/);
      assert.doesNotMatch(`${run.stdout}${run.stderr}`, /examples\/shop/);
    } finally {
      await dir.cleanup();
    }
  });
});

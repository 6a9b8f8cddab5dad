import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '@rampart/testing';

const TESTING = new URL('../src/index.ts', import.meta.url).href;

/** Runs one test file in a child `node --test` and returns its summary counts. */
async function totalsOf(source: string): Promise<Record<string, number>> {
  const dir = await tempDir('describe-if-available-');
  try {
    const file = join(dir.path, 'suite.test.ts');
    writeFileSync(file, source);
    const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', file], {
      encoding: 'utf8',
      timeout: 30_000,
      // Without this the child reports to this test runner instead of printing its own summary.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    });
    const totals: Record<string, number> = {};
    for (const [, key, value] of run.stdout.matchAll(/^ℹ (\w+) (\d+)$/gm)) totals[key!] = Number(value);
    return totals;
  } finally {
    await dir.cleanup();
  }
}

describe('describeIfAvailable', () => {
  it('counts a suite that cannot run as skipped, with the reason, instead of hiding it', async () => {
    const totals = await totalsOf(`
      import { it } from 'node:test';
      import { describeIfAvailable } from '${TESTING}';
      describeIfAvailable('needs postgres', { skip: 'postgres is not reachable' }, () => {
        it('never runs', () => { throw new Error('ran'); });
      });
    `);
    assert.equal(totals['skipped'], 1);
    assert.equal(totals['fail'], 0);
    assert.equal(totals['pass'], 0);
  });

  it('runs the suite as describe() does when it can', async () => {
    const totals = await totalsOf(`
      import { it } from 'node:test';
      import { describeIfAvailable } from '${TESTING}';
      describeIfAvailable('needs nothing', { skip: false }, () => {
        it('one', () => {});
        it('two', () => {});
      });
    `);
    assert.equal(totals['pass'], 2);
    assert.equal(totals['skipped'], 0);
  });
});

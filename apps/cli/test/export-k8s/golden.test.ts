// The shop's export, file by file, against the copy committed in fixtures/k8s-shop: a change to
// what `rampart export k8s` writes shows up here as a diff to review. After an intended change:
// UPDATE_GOLDEN=1 node --test apps/cli/test/export-k8s/golden.test.ts
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { root, shopExport } from './exports.ts';

const golden = join(root, 'apps/cli/test/fixtures/k8s-shop');

describe("the shop's export is the committed one", () => {
  const { files } = shopExport();
  if (process.env['UPDATE_GOLDEN'] === '1') {
    rmSync(golden, { recursive: true, force: true });
    mkdirSync(golden, { recursive: true });
    for (const [name, content] of files) writeFileSync(join(golden, name), content);
  }

  it('has the same files', () => {
    assert.deepEqual(readdirSync(golden).sort(), [...files.keys()].sort());
  });
  for (const [name, content] of files) {
    it(name, () => {
      assert.equal(content, readFileSync(join(golden, name), 'utf8'));
    });
  }
  it('is the same from one export to the next', () => {
    assert.deepEqual([...shopExport().files], [...files]);
  });
});

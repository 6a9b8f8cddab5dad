// The labelled corpus (test/corpus/secrets, expected.json: file → rule → count) scanned by the
// secrets module as `rampart scan` scans a tree: every count must match, and recall and precision
// must stay at or above the targets (0.95 and 0.9; bench/scan-accuracy.ts prints them).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allFindings, isFileLocation, runScan, secretsModule } from '@rampart/scan';

const CORPUS = join(import.meta.dirname, '../corpus/secrets');
type Counts = Record<string, Record<string, number>>;

describe('secrets corpus', () => {
  it('finds exactly what expected.json lists', async () => {
    const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Counts;
    const result = await runScan({ root: CORPUS, modules: [secretsModule] });
    assert.deepEqual(result.modules[0]?.failures, []);
    const actual: Counts = {};
    for (const finding of allFindings(result)) {
      if (!isFileLocation(finding.location)) continue;
      const file = (actual[finding.location.file] ??= {});
      file[finding.ruleId] = (file[finding.ruleId] ?? 0) + 1;
    }
    let truePositives = 0;
    let falsePositives = 0;
    let falseNegatives = 0;
    for (const file of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      for (const rule of new Set([
        ...Object.keys(expected[file] ?? {}),
        ...Object.keys(actual[file] ?? {}),
      ])) {
        const want = expected[file]?.[rule] ?? 0;
        const got = actual[file]?.[rule] ?? 0;
        truePositives += Math.min(want, got);
        falsePositives += Math.max(0, got - want);
        falseNegatives += Math.max(0, want - got);
      }
    }
    const recall = truePositives / (truePositives + falseNegatives);
    const precision = truePositives / (truePositives + falsePositives);
    assert.ok(recall >= 0.95 && precision >= 0.9, `recall ${recall}, precision ${precision}`);
    assert.deepEqual(actual, expected);
  });
});

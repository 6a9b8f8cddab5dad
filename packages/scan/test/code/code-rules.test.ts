// Each code rule against its positive fixture (it must report) and its negative one (it must not),
// the labelled corpus (every file reports exactly what expected.json says), and the failures a
// scan must report rather than stay silent about.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CODE_RULES, codeModule, isCodeFile, lintCode, runScan, type LintedFile } from '@rampart/scan';
import { FIXTURES, fixtureExists, ruleFixtures, rulesReported } from '../rule-fixtures.ts';

function fixturesOf(id: string): { positive: string; negative: string } {
  const ts = ruleFixtures('code', id, '.ts');
  return existsSync(ts.positive) ? ts : ruleFixtures('code', id, '.js');
}

describe('code rules, fixture by fixture', () => {
  for (const id of CODE_RULES.keys()) {
    const { positive, negative } = fixturesOf(id);
    it(`${id}: has a positive and a negative fixture`, () => {
      assert.ok(fixtureExists(positive), positive);
      assert.ok(fixtureExists(negative), negative);
    });
    it(`${id}: reports the positive fixture`, async () => {
      assert.ok((await rulesReported(codeModule, positive)).includes(id));
    });
    it(`${id}: does not report the negative fixture`, async () => {
      assert.deepEqual(await rulesReported(codeModule, negative), []);
    });
  }
});

describe('the labelled corpus (packages/scan/test/corpus/code)', () => {
  const corpus = join(import.meta.dirname, '../corpus/code');
  const expected = JSON.parse(readFileSync(join(corpus, 'expected.json'), 'utf8')) as Record<
    string,
    Record<string, number>
  >;

  it('reports exactly the labelled findings, file by file', async () => {
    const result = await runScan({ root: corpus, modules: [codeModule] });
    const [outcome] = result.modules;
    assert.deepEqual(outcome?.failures, []);
    const actual: Record<string, Record<string, number>> = {};
    for (const finding of outcome.findings) {
      if (!('file' in finding.location)) continue;
      const counts = (actual[finding.location.file] ??= {});
      counts[finding.ruleId] = (counts[finding.ruleId] ?? 0) + 1;
    }
    assert.deepEqual(actual, expected);
  });

  it('labels only rules that exist', () => {
    for (const counts of Object.values(expected)) {
      for (const id of Object.keys(counts)) assert.ok(CODE_RULES.has(id), id);
    }
  });
});

describe('code module details', () => {
  it('lints TypeScript and JavaScript sources, not declarations', () => {
    for (const path of ['a.ts', 'b/c.mts', 'd.cjs', 'e.tsx', 'f.js']) assert.ok(isCodeFile(path), path);
    for (const path of ['a.d.ts', 'b.json', 'c.md', 'Dockerfile']) assert.ok(!isCodeFile(path), path);
  });

  it('reports a file it cannot parse as a failure (exit 2), never as clean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-code-'));
    writeFileSync(join(dir, 'broken.ts'), 'export function (\n');
    const [outcome] = (await runScan({ root: dir, modules: [codeModule] })).modules;
    assert.equal(outcome?.failures.length, 1);
    assert.match(outcome.failures[0]?.message ?? '', /cannot parse/u);
  });

  it('ignores eslint-disable comments: only rampart-ignore with a reason silences a finding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-code-'));
    writeFileSync(
      join(dir, 'a.ts'),
      '// eslint-disable-next-line\nexport const agent = { rejectUnauthorized: false };\n' +
        '// rampart-ignore code/tls-verification-off a test server with a throwaway certificate\n' +
        'export const other = { rejectUnauthorized: false };\n',
    );
    const [outcome] = (await runScan({ root: dir, modules: [codeModule] })).modules;
    assert.deepEqual(
      outcome?.findings.map((f) => [f.location, f.suppression?.kind]),
      [
        [{ file: 'a.ts', line: 2, column: 24 }, undefined],
        [{ file: 'a.ts', line: 4, column: 24 }, 'inline'],
      ],
    );
  });

  it('lints in worker threads with the same findings as in one thread', async () => {
    const dir = join(FIXTURES, 'code');
    const files = readdirSync(dir).map((name) => join(dir, name));
    const summary = (results: readonly LintedFile[]): string[] =>
      results
        .flatMap((r) => r.messages.map((m) => `${r.absolute}:${String(m.line)} ${m.ruleId ?? ''}`))
        .sort();
    const inThread = summary(await lintCode(dir, files, 1));
    assert.ok(inThread.length >= CODE_RULES.size);
    assert.deepEqual(summary(await lintCode(dir, files, 2)), inThread);
  });
});

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { codes, RampartError, toProblem, PROBLEM_CONTENT_TYPE } from '@rampart/errors';

const repo = resolve(import.meta.dirname, '../../..');
const docs = readFileSync(join(repo, 'docs/errors.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

describe('error-code registry', () => {
  it('documents every code in docs/errors.md, with its status', () => {
    for (const [code, { status }] of Object.entries(codes)) {
      assert.match(
        docs,
        new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`),
        `${code} is missing from docs/errors.md`,
      );
    }
  });

  it('documents no code that does not exist', () => {
    const documented = [...docs.matchAll(/^\|\s*`([A-Z_]+)`\s*\|/gm)].map((m) => m[1]);
    assert.deepEqual(
      documented.filter((c) => !(c! in codes)),
      [],
    );
  });

  it('uses every code somewhere outside the registry (no dead codes)', () => {
    const sources = ['packages', 'apps', 'examples', 'services']
      .flatMap((d) => {
        try {
          return sourceFiles(join(repo, d));
        } catch {
          return [];
        }
      })
      .filter((f) => !f.endsWith('errors/src/codes.ts') && !f.includes('/test/'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = Object.keys(codes).filter((code) => !sources.includes(`'${code}'`));
    assert.deepEqual(unused, []);
  });

  it('gives every code a distinct title and a valid HTTP status', () => {
    const titles = Object.values(codes).map((c) => c.title);
    assert.equal(new Set(titles).size, titles.length);
    for (const { status } of Object.values(codes)) assert.ok(status >= 400 && status < 600);
  });
});

describe('RampartError and problem details', () => {
  it('exposes client errors by code and title only', () => {
    const error = new RampartError('SDK_FORBIDDEN', { detail: 'caller orders may not call profiles' });
    assert.equal(error.expose, true);
    const problem = toProblem(error, 'req-1');
    assert.deepEqual(problem, {
      type: 'https://rampart.dev/errors#SDK_FORBIDDEN',
      title: 'Forbidden',
      status: 403,
      code: 'SDK_FORBIDDEN',
      requestId: 'req-1',
    });
    assert.ok(!JSON.stringify(problem).includes('orders may not'));
    assert.equal(PROBLEM_CONTENT_TYPE, 'application/problem+json');
  });

  it('turns server errors and foreign throws into a generic 500 with no detail', () => {
    const cases: unknown[] = [
      new RampartError('CFG_INVALID_VALUE', { detail: 'password=hunter2' }),
      new Error('ECONNREFUSED 10.0.0.7:5432'),
      'a string',
      null,
    ];
    for (const thrown of cases) {
      const problem = toProblem(thrown, 'req-2');
      assert.equal(problem.status, 500);
      assert.equal(problem.code, 'SDK_INTERNAL');
      assert.doesNotMatch(JSON.stringify(problem), /hunter2|10\.0\.0\.7|a string/);
    }
  });
});

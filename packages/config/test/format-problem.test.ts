import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatProblem, type ConfigProblem } from '@rampart/config';

const problem: ConfigProblem = {
  code: 'CFG_UNKNOWN_KEY',
  file: join(process.cwd(), 'examples/shop/rampart.yaml'),
  line: 12,
  column: 5,
  message: 'unknown key `polcy` — did you mean `policy`?',
  fix: 'rename `polcy` to `policy`',
  severity: 'error',
};

describe('formatProblem', () => {
  it('prints file:line:column, severity, code, message and the fix, relative to cwd', () => {
    assert.equal(
      formatProblem(problem),
      'examples/shop/rampart.yaml:12:5 error CFG_UNKNOWN_KEY unknown key `polcy` — did you mean `policy`?\n    fix: rename `polcy` to `policy`',
    );
  });
  it('leaves out the position of a whole-file problem, and files outside cwd stay absolute', () => {
    const rest: ConfigProblem = { ...problem };
    delete rest.fix;
    assert.equal(
      formatProblem({
        ...rest,
        file: '/elsewhere/rampart.yaml',
        line: 0,
        column: 0,
        code: 'CFG_FILE_NOT_FOUND',
        message: 'no such file',
      }),
      '/elsewhere/rampart.yaml error CFG_FILE_NOT_FOUND no such file',
    );
  });
  it('colors only when asked', () => {
    assert.ok(!formatProblem(problem).includes('\u001b['));
    assert.ok(formatProblem(problem, { color: true }).includes('\u001b['));
  });
});

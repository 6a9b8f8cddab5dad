import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '@rampart/config';
import { edit, problemsOf } from './helpers.ts';

describe('CFG_RESERVED_PATH: the gateway serves /auth, /console and /audit itself', () => {
  const refused: [path: string, prefix: string][] = [
    ['/auth', 'auth'],
    ['/auth/token', 'auth'],
    ['/auth/{id}', 'auth'],
    ['/Auth/token', 'auth'],
    ['/console', 'console'],
    ['/CONSOLE/users', 'console'],
    ['/audit', 'audit'],
    ['/Audit/v1/events', 'audit'],
  ];
  for (const [path, prefix] of refused) {
    it(`refuses a route at ${path}, at its path, with a fix`, () => {
      const result = parseConfig(edit(['path: /orders', `path: ${path}`]), 'rampart.yaml');
      assert.equal(result.ok, false);
      const problem = result.problems.find((p) => p.code === 'CFG_RESERVED_PATH');
      assert.ok(problem, JSON.stringify(result.problems));
      assert.equal(problem.line, 12);
      assert.equal(problem.column, 15);
      assert.match(
        problem.message,
        new RegExp(
          `route \`GET ${path.replace(/[{}]/gu, '\\$&')}\` of service \`orders\` is under \`/${prefix}\``,
        ),
      );
      assert.match(problem.fix ?? '', /move the route out of/u);
    });
  }

  for (const path of ['/orders', '/authors', '/auth-logs', '/consoles', '/orders/auth', '/{tenant}/auth']) {
    it(`accepts ${path}`, () => {
      assert.deepEqual(
        problemsOf(edit(['path: /orders', `path: ${path}`])).filter((p) => p.code === 'CFG_RESERVED_PATH'),
        [],
      );
    });
  }
});

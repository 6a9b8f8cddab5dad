import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '@rampart/config';
import { edit, problemsOf } from './helpers.ts';

describe("CFG_RESERVED_NAME: a service cannot take a platform component's name", () => {
  for (const name of ['mesh', 'identity', 'audit', 'gateway']) {
    it(`refuses a service named ${name}, at its key, with a fix`, () => {
      const result = parseConfig(
        edit(['  orders:', `  ${name}:`], ['path: /orders', `path: /${name}-things`]),
        'rampart.yaml',
      );
      assert.equal(result.ok, false);
      const problem = result.problems.find((p) => p.code === 'CFG_RESERVED_NAME');
      assert.ok(problem, JSON.stringify(result.problems));
      assert.equal(problem.line, 6);
      assert.equal(problem.column, 3);
      assert.match(problem.message, new RegExp(`service \`${name}\` has the name of a platform component`));
      assert.match(problem.fix ?? '', new RegExp(`rename the service, e\\.g\\. \`${name}-service\``));
    });
  }

  for (const name of ['orders', 'audits', 'identity-store', 'gateways', 'console']) {
    it(`accepts ${name}`, () => {
      assert.deepEqual(
        problemsOf(edit(['  orders:', `  ${name}:`])).filter((p) => p.code === 'CFG_RESERVED_NAME'),
        [],
      );
    });
  }
});

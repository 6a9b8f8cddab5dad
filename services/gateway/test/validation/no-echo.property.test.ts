import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRampartError } from '@rampart/errors';
import { buildRouteTable } from '../../src/routing/index.ts';
import { BadRequest, validateRequest } from '../../src/validation/index.ts';

const rule = {
  integer: { type: 'integer' },
  pattern: { type: 'string', pattern: '^[0-9]{1,4}$' },
  maxLength: { type: 'string', maxLength: 3 },
  enum: { enum: ['red', 'blue'] },
  const: { const: 'fixed' },
  email: { type: 'string', format: 'email' },
  uuid: { type: 'string', format: 'uuid' },
  not: { not: { type: 'string' } },
} as const;
const keys = Object.keys(rule) as (keyof typeof rule)[];
const strings = (schema: object) => ({
  type: 'object',
  properties: Object.fromEntries(keys.filter((k) => k !== 'integer' && k !== 'not').map((k) => [k, rule[k]])),
  ...schema,
});

const table = buildRouteTable({
  version: 1,
  name: 't',
  policies: { p: {} },
  services: {
    s: {
      entry: 's.ts',
      port: 1,
      routes: [
        {
          method: 'POST',
          path: '/x/{pattern}',
          policy: 'p',
          schema: {
            body: { type: 'object', properties: rule, additionalProperties: false },
            query: strings({}),
            params: { type: 'object', properties: { pattern: rule.pattern } },
          },
        },
      ],
    },
  },
});

/** Everything a client or a log line could see of the error. */
function visible(error: unknown): string {
  assert.ok(error instanceof BadRequest, String(error));
  assert.ok(isRampartError(error));
  return JSON.stringify([error.fields, error.message, error.detail, error.title]);
}

function attempt(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return visible(error);
  }
  return assert.fail('expected a BadRequest');
}

/** Values that fail every rule above and cannot occur in a message by chance. */
const hostile = fc.string({ minLength: 6, maxLength: 40 }).map((s) => `Zx${s}`);
const urlSafe = fc.stringMatching(/^[a-zA-Z]{8,30}$/).map((s) => `Zx${s}`);

describe('validation: the offending value never appears in the error', () => {
  it('body fields, whatever rule they break', () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), hostile, (key, value) => {
        const matched = table.match('POST', ['x', '1'], false);
        const seen = attempt(() =>
          validateRequest(matched, {
            params: matched.params,
            query: '',
            contentType: 'application/json',
            body: Buffer.from(JSON.stringify({ [key]: value })),
          }),
        );
        assert.ok(!seen.includes(value), seen);
        assert.ok(!seen.includes(JSON.stringify(value).slice(1, -1)), seen);
        assert.ok(seen.includes(`"/${key}"`), seen);
      }),
      { numRuns: 300 },
    );
  });
  it('body values nested in objects and arrays, and unparsable bodies', () => {
    fc.assert(
      fc.property(hostile, (value) => {
        const matched = table.match('POST', ['x', '1'], false);
        for (const body of [
          JSON.stringify({ not: value }),
          `{"integer": "${value}`,
          `[${JSON.stringify(value)}]`,
        ]) {
          const seen = attempt(() =>
            validateRequest(matched, {
              params: matched.params,
              query: '',
              contentType: 'application/json',
              body: Buffer.from(body),
            }),
          );
          assert.ok(!seen.includes(value), seen);
        }
      }),
    );
  });
  it('query and path parameters', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...keys.filter((k) => k !== 'integer' && k !== 'not')),
        urlSafe,
        (key, value) => {
          const matched = table.match('POST', ['x', value], false);
          const fromParams = attempt(() =>
            validateRequest(matched, {
              params: matched.params,
              query: '',
              contentType: 'application/json',
              body: Buffer.from('{}'),
            }),
          );
          assert.ok(!fromParams.includes(value), fromParams);
          assert.ok(fromParams.includes('"in":"params","pointer":"/pattern"'), fromParams);
          const ok = table.match('POST', ['x', '1'], false);
          const fromQuery = attempt(() =>
            validateRequest(ok, {
              params: ok.params,
              query: new URLSearchParams([[key, value]]),
              contentType: 'application/json',
              body: Buffer.from('{}'),
            }),
          );
          assert.ok(!fromQuery.includes(value), fromQuery);
          assert.ok(fromQuery.includes(`"in":"query","pointer":"/${key}"`), fromQuery);
        },
      ),
      { numRuns: 200 },
    );
  });
});

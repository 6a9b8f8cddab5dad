import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRampartError } from '@rampart/errors';
import { presentedToken } from '../../src/auth/bearer.ts';

const bearerToken = (rawHeaders: readonly string[]): string => presentedToken(rawHeaders).token;
/** One `Authorization` value (or none) through the gateway's reading of the raw headers. */
const parseBearerAuthorization = (value: string | undefined): string =>
  bearerToken(value === undefined ? [] : ['Authorization', value]);

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';

function failsWith(run: () => unknown, code: string, reason: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isRampartError(error), `expected a RampartError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.ok(
      error.detail?.includes(reason),
      `detail ${JSON.stringify(error.detail)} should include ${reason}`,
    );
    return true;
  });
}

describe('Authorization: Bearer parsing (RFC 6750 §2.1)', () => {
  it('returns the token', () => {
    assert.equal(parseBearerAuthorization(`Bearer ${TOKEN}`), TOKEN);
    assert.equal(parseBearerAuthorization(`bearer ${TOKEN}`), TOKEN);
    assert.equal(parseBearerAuthorization('BEARER abc~+/=='), 'abc~+/==');
    assert.equal(bearerToken(['Host', 'x', 'authorization', `Bearer ${TOKEN}`]), TOKEN);
  });

  const cases: readonly { name: string; value: string | undefined; code: string; reason: string }[] = [
    { name: 'no header', value: undefined, code: 'GW_TOKEN_MISSING', reason: 'no Authorization header' },
    {
      name: 'another scheme',
      value: 'Basic YWxpY2U6cHc=',
      code: 'GW_TOKEN_MISSING',
      reason: 'is not Bearer',
    },
    { name: 'empty header', value: '', code: 'GW_TOKEN_INVALID', reason: 'empty' },
    { name: 'scheme only', value: 'Bearer', code: 'GW_TOKEN_INVALID', reason: 'without a token' },
    { name: 'scheme and space only', value: 'Bearer ', code: 'GW_TOKEN_INVALID', reason: 'without a token' },
    { name: 'two spaces', value: `Bearer  ${TOKEN}`, code: 'GW_TOKEN_INVALID', reason: 'token68' },
    { name: 'two tokens', value: `Bearer ${TOKEN} ${TOKEN}`, code: 'GW_TOKEN_INVALID', reason: 'token68' },
    { name: 'comma-joined', value: `Bearer ${TOKEN}, Bearer x`, code: 'GW_TOKEN_INVALID', reason: 'token68' },
    { name: 'a tab', value: `Bearer\t${TOKEN}`, code: 'GW_TOKEN_MISSING', reason: 'is not Bearer' },
    { name: 'quoted token', value: `Bearer "${TOKEN}"`, code: 'GW_TOKEN_INVALID', reason: 'token68' },
    { name: 'padding inside', value: 'Bearer ab=c', code: 'GW_TOKEN_INVALID', reason: 'token68' },
    { name: 'non-ASCII', value: 'Bearer abcé', code: 'GW_TOKEN_INVALID', reason: 'token68' },
    { name: 'trailing space', value: `Bearer ${TOKEN} `, code: 'GW_TOKEN_INVALID', reason: 'token68' },
  ];
  for (const { name, value, code, reason } of cases) {
    it(`refuses ${name}`, () => {
      failsWith(() => parseBearerAuthorization(value), code, reason);
    });
  }

  it('refuses two Authorization headers (Node keeps only the first in req.headers)', () => {
    failsWith(
      () => bearerToken(['Authorization', `Bearer ${TOKEN}`, 'AUTHORIZATION', 'Bearer other']),
      'GW_TOKEN_INVALID',
      '2 Authorization headers',
    );
    failsWith(() => bearerToken(['Host', 'x']), 'GW_TOKEN_MISSING', 'no Authorization header');
  });

  it('reads the DPoP scheme with the same grammar', () => {
    assert.deepEqual(presentedToken(['authorization', `dpop ${TOKEN}`]), { scheme: 'dpop', token: TOKEN });
    failsWith(() => parseBearerAuthorization('DPoP'), 'GW_TOKEN_INVALID', 'without a token');
    failsWith(() => parseBearerAuthorization(`DPoP  ${TOKEN}`), 'GW_TOKEN_INVALID', 'token68');
  });

  it('throws only GW_TOKEN_MISSING or GW_TOKEN_INVALID, for any raw headers (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('Authorization'), fc.string({ unit: 'binary' })), { maxLength: 6 }),
        (rawHeaders) => {
          try {
            presentedToken(rawHeaders);
            return true;
          } catch (error) {
            return (
              isRampartError(error) &&
              (error.code === 'GW_TOKEN_INVALID' || error.code === 'GW_TOKEN_MISSING')
            );
          }
        },
      ),
    );
  });
});

describe('a malformed Authorization value never reaches the log', () => {
  for (const value of [
    'hunter2hunter2hunter2 x',
    'Basic YWxpY2U6aHVudGVyMg==',
    'sk_live_51Habc',
    'Token\tsk_live_51Habc',
  ]) {
    it(`not one character of ${JSON.stringify(value.slice(0, 6))}… is in the detail`, () => {
      assert.throws(
        () => parseBearerAuthorization(value),
        (error: unknown) => {
          assert.ok(isRampartError(error));
          const detail = error.detail ?? '';
          for (const part of value.split(/[\s]+/u)) assert.ok(!detail.includes(part.slice(0, 4)), detail);
          return true;
        },
      );
    });
  }
});

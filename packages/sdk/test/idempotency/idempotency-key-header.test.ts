import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRampartError } from '@rampart/errors';
import { formatIdempotencyKey, parseIdempotencyKey } from '../../src/idempotency/index.ts';

describe('Idempotency-Key field (an RFC 8941 String, draft-ietf-httpapi-idempotency-key-header)', () => {
  it('reads a quoted key, unescaping \\" and \\\\, and ignores surrounding spaces', () => {
    const cases: [string, string][] = [
      ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
      ['"clkyoesmbgybucifusbbtdsbohtyuuwz"', 'clkyoesmbgybucifusbbtdsbohtyuuwz'],
      ['  "order 42"  ', 'order 42'],
      ['"a\\"b\\\\c"', 'a"b\\c'],
      [`"${'k'.repeat(255)}"`, 'k'.repeat(255)],
    ];
    for (const [field, key] of cases) assert.equal(parseIdempotencyKey(field), key, field);
    assert.equal(parseIdempotencyKey(undefined), undefined);
  });

  it('refuses everything that is not one String of 1 to 255 characters', () => {
    const invalid: (string | string[])[] = [
      'order-42', // a token, not a String
      '',
      '""',
      `"${'k'.repeat(256)}"`,
      '"a", "b"', // the field twice, as Node joins it
      ['"a"', '"b"'],
      '"a";p=1', // parameters
      '"unterminated',
      '"bad \\n escape"',
      '"tab\tinside"',
      '"ünicode"',
      '"a"b"',
      '\t"a"',
    ];
    for (const field of invalid) {
      assert.throws(
        () => parseIdempotencyKey(field),
        (error: unknown) => isRampartError(error) && error.code === 'SDK_IDEMPOTENCY_KEY_INVALID',
        JSON.stringify(field),
      );
    }
  });

  it('formats any sendable key so that it parses back to itself', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
          minLength: 1,
          maxLength: 255,
        }),
        (key) => parseIdempotencyKey(formatIdempotencyKey(key)) === key,
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses to format a key that cannot be sent, as a programmer error', () => {
    for (const key of ['', 'k'.repeat(256), 'line\nbreak', 'ünicode']) {
      assert.throws(() => formatIdempotencyKey(key), TypeError);
    }
  });
});

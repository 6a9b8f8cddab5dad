import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { BlindIndex } from '../../src/crypto/index.ts';

const index = new BlindIndex(createSecretKey(randomBytes(32)));
const EMAIL = { table: 'profiles', column: 'email', normalize: 'email' } as const;

describe('BlindIndex', () => {
  it('is deterministic per column, after normalisation', () => {
    const a = index.hmacIndex('jane@example.com', EMAIL);
    assert.match(a, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(index.hmacIndex('  Jane@Example.COM ', EMAIL), a);
    assert.notEqual(index.hmacIndex('john@example.com', EMAIL), a);
    assert.equal(
      index.hmacIndex('+44 20 7946 0958', { table: 't', column: 'phone', normalize: 'phone' }),
      index.hmacIndex('+44-20-7946-0958', { table: 't', column: 'phone', normalize: 'phone' }),
    );
    // NFC: a precomposed and a decomposed é index alike under the default `text`.
    assert.equal(
      index.hmacIndex('caf\u00e9', { table: 't', column: 'c' }),
      index.hmacIndex('cafe\u0301', { table: 't', column: 'c' }),
    );
    assert.notEqual(
      index.hmacIndex('A', { table: 't', column: 'c', normalize: 'exact' }),
      index.hmacIndex('a', { table: 't', column: 'c', normalize: 'exact' }),
    );
  });

  it('separates columns, tables and keys', () => {
    const value = 'jane@example.com';
    const indexes = new Set([
      index.hmacIndex(value, EMAIL),
      index.hmacIndex(value, { ...EMAIL, column: 'backup_email' }),
      index.hmacIndex(value, { ...EMAIL, table: 'users' }),
      index.hmacIndex(value, { table: 'profilese', column: 'mail', normalize: 'email' }),
      new BlindIndex(createSecretKey(randomBytes(32))).hmacIndex(value, EMAIL),
    ]);
    assert.equal(indexes.size, 5);
  });

  it('gives equal indexes exactly for equal normalised inputs', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const ctx = { table: 't', column: 'c', normalize: 'exact' } as const;
        assert.equal(index.hmacIndex(a, ctx) === index.hmacIndex(b, ctx), a === b);
      }),
    );
  });

  it('shows no key material, and refuses a short key', () => {
    assert.doesNotMatch(inspect(index, { showHidden: true, depth: Infinity }), /[A-Za-z0-9+/]{40}/);
    assert.equal(JSON.stringify(index), '{"blindIndex":"hmac-sha256","bytes":16}');
    assert.throws(() => new BlindIndex(createSecretKey(randomBytes(16))), TypeError);
    assert.throws(() => index.hmacIndex('x', { table: '', column: 'c' }), TypeError);
  });
});

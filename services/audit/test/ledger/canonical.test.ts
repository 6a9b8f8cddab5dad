import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, entryHash, GENESIS_HASH, type JsonValue } from '../../src/ledger/index.ts';
import { entryText } from '../../src/ledger/canonical.ts';

describe('canonicalJson: RFC 8785 (JCS)', () => {
  it('serializes the RFC 8785 section 3.2.2 example exactly', () => {
    const input: unknown = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    assert.equal(
      canonicalJson(input as JsonValue),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts members by UTF-16 code units (RFC 8785 section 3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    assert.equal(
      canonicalJson(input),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('refuses what JCS cannot represent, with a TypeError', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '\ud800', { k: '\udc00' }]) {
      assert.throws(() => canonicalJson(bad), TypeError);
    }
  });

  it('builds the entry text without re-parsing: equal to JCS of { seq, id, event } (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.string({ unit: 'grapheme', minLength: 1 }),
        fc.jsonValue(),
        (seq, id, event) => {
          const value = event as JsonValue;
          assert.equal(entryText(seq, id, canonicalJson(value)), canonicalJson({ seq, id, event: value }));
        },
      ),
    );
  });

  it('hashes entries as documented (test vector from the README)', () => {
    const first = entryHash(
      GENESIS_HASH,
      1,
      'e1',
      canonicalJson({ type: 'login.failed', outcome: 'failure' }),
    );
    assert.equal(first.toString('hex'), '6ce8b0be7ae9677ee08bebd7e0b4a6518be0d0e26bfe0ed3b6da0e500d9e6b06');
    const second = entryHash(first, 2, 'e2', canonicalJson({ type: 'token.issued' }));
    assert.equal(second.toString('hex'), '26b10f72a4ce04d0610dddc1ed02e13be92c4d9fb3ba68a68ef4c5257257c387');
  });
});

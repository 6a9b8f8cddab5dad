import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { illFormedStringPointer } from '@rampart/sdk';

describe('illFormedStringPointer', () => {
  it('names the first lone surrogate, in a value or a member name, at any depth', () => {
    assert.equal(illFormedStringPointer(JSON.parse('{"a":"ok","b":["x","\\udc00"]}')), '/b/1');
    assert.equal(illFormedStringPointer(JSON.parse('{"a/b~c":{"\\ud800":1}}')), '/a~1b~0c/\ud800');
    assert.equal(illFormedStringPointer('\ud800'), '');
  });

  it('passes well-formed text, including surrogate pairs, and non-strings', () => {
    assert.equal(illFormedStringPointer({ a: '😀', b: [1, true, null, { c: 'é' }] }), undefined);
  });

  it('does not exhaust the stack on a deeply nested body', () => {
    const deep = JSON.parse(`${'['.repeat(50_000)}"\\ud800"${']'.repeat(50_000)}`) as unknown;
    assert.equal(illFormedStringPointer(deep)?.length, 50_000 * 2);
  });

  /** Characters, pairs and lone surrogates (two lone ones side by side may make a valid pair). */
  const unit = fc.oneof(
    fc.constantFrom('a', 'é', '😀', '~', '/'),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  );

  it('agrees with String.prototype.isWellFormed on every string of generated JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: unit }), (value) => {
        const strings: string[] = [];
        JSON.stringify(value, (key, v: unknown) => {
          strings.push(key);
          if (typeof v === 'string') strings.push(v);
          return v;
        });
        const found = illFormedStringPointer(value) !== undefined;
        assert.equal(
          found,
          strings.some((s) => !s.isWellFormed()),
        );
      }),
    );
  });
});

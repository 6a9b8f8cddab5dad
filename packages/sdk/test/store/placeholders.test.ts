import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { scanPlaceholders } from '../../src/store/index.ts';

describe('scanPlaceholders (postgres)', () => {
  const cases: [name: string, sql: string, text: string, count: number][] = [
    ['plain', 'SELECT ? , ?', 'SELECT $1 , $2', 2],
    ['none', 'SELECT 1', 'SELECT 1', 0],
    ['string literal', "SELECT '?', ?", "SELECT '?', $1", 1],
    ['doubled quote', "SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1],
    ['E-string backslash', "SELECT E'\\' ?', ?", "SELECT E'\\' ?', $1", 1],
    ['not an E-string', "SELECT name'x' , ?", "SELECT name'x' , $1", 1],
    ['quoted identifier', 'SELECT "a?" , ?', 'SELECT "a?" , $1', 1],
    ['line comment', 'SELECT ? -- ?\n, ?', 'SELECT $1 -- ?\n, $2', 2],
    ['block comment', 'SELECT /* ? */ ?', 'SELECT /* ? */ $1', 1],
    ['nested block comment', 'SELECT /* a /* ? */ ? */ ?', 'SELECT /* a /* ? */ ? */ $1', 1],
    ['dollar quote', 'SELECT $$ ? $$, ?', 'SELECT $$ ? $$, $1', 1],
    ['tagged dollar quote', 'SELECT $fn$ $$ ? $fn$, ?', 'SELECT $fn$ $$ ? $fn$, $1', 1],
    ['$ inside an identifier', 'SELECT a$b$ , ?', 'SELECT a$b$ , $1', 1],
    ['cast after placeholder', 'SELECT ?::bigint', 'SELECT $1::bigint', 1],
    ['unterminated literal', "SELECT ? '?", "SELECT $1 '?", 1],
  ];
  for (const [name, sql, text, count] of cases) {
    it(name, () => {
      assert.deepEqual(scanPlaceholders(sql, 'postgres'), { text, count });
    });
  }

  it('refuses engine-specific placeholders', () => {
    assert.throws(() => scanPlaceholders('SELECT $1', 'postgres'), TypeError);
    assert.throws(() => scanPlaceholders('SELECT ?1', 'postgres'), TypeError);
    assert.throws(() => scanPlaceholders('SELECT $name', 'sqlite'), TypeError);
    assert.throws(() => scanPlaceholders('SELECT ?1', 'sqlite'), TypeError);
  });

  it('counts the same in SQLite, where [ and ` quote identifiers', () => {
    assert.equal(scanPlaceholders('SELECT [a?], `b?`, ?', 'sqlite').count, 1);
    assert.equal(scanPlaceholders('SELECT [a?], `b?`, ?', 'sqlite').text, 'SELECT [a?], `b?`, ?');
  });

  it('never changes the text inside a string literal, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: 5 }), (content, extra) => {
        const literal = `'${content.replaceAll("'", "''")}'`;
        const sql = `SELECT ${literal}${', ?'.repeat(extra)}`;
        const scanned = scanPlaceholders(sql.replaceAll('$', ''), 'postgres');
        assert.equal(scanned.count, extra);
        assert.ok(scanned.text.startsWith(`SELECT ${literal.replaceAll('$', '')}`));
      }),
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestCacheDirective, responseCacheKey, storableTtlMs } from '../../src/cache/index.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const TTL = 5000;

describe('storableTtlMs: which answers are stored, and for how long', () => {
  const cases: [label: string, status: number, headers: Record<string, string | string[]>, ttl: number][] = [
    ['a plain 200', 200, { 'content-type': 'application/json' }, TTL],
    ['a 201', 201, {}, 0],
    ['a 204', 204, {}, 0],
    ['a 206', 206, {}, 0],
    ['a 301', 301, { location: '/x' }, 0],
    ['a 404', 404, {}, 0],
    ['Set-Cookie', 200, { 'set-cookie': 'sid=1' }, 0],
    ['Set-Cookie (list)', 200, { 'set-cookie': ['a=1', 'b=2'] }, 0],
    ['no-store', 200, { 'cache-control': 'no-store' }, 0],
    ['No-Store, spaced, among others', 200, { 'cache-control': 'public,  No-Store , max-age=60' }, 0],
    ['private', 200, { 'cache-control': 'private, max-age=60' }, 0],
    ['private="set-cookie" (qualified is still private)', 200, { 'cache-control': 'private="x"' }, 0],
    ['no-cache', 200, { 'cache-control': 'no-cache' }, 0],
    ['Vary: *', 200, { vary: '*' }, 0],
    ['Vary: Accept, *', 200, { vary: 'Accept, *' }, 0],
    ['Vary: Accept', 200, { vary: 'Accept' }, TTL],
    ['max-age shorter than the route', 200, { 'cache-control': 'max-age=2' }, 2000],
    ['max-age longer than the route', 200, { 'cache-control': 'public, max-age=600' }, TTL],
    ['max-age=0', 200, { 'cache-control': 'max-age=0' }, 0],
    ['s-maxage wins over max-age', 200, { 'cache-control': 'max-age=1, s-maxage=3' }, 3000],
    ['a malformed max-age stores nothing', 200, { 'cache-control': 'max-age=soon' }, 0],
    ['quoted max-age', 200, { 'cache-control': 'max-age="3"' }, 3000],
    ['Expires in the past', 200, { expires: 'Thu, 01 Jan 1970 00:00:00 GMT' }, 0],
    ['Expires: 0', 200, { expires: '0' }, 0],
    ['Expires in the future', 200, { expires: 'Fri, 01 Jan 2027 00:00:00 GMT' }, TTL],
    ['max-age overrides a past Expires', 200, { expires: '0', 'cache-control': 'max-age=4' }, 4000],
  ];
  for (const [label, status, headers, ttl] of cases) {
    it(`${label} → ${ttl} ms`, () => {
      assert.equal(storableTtlMs(status, headers, TTL, NOW), ttl);
    });
  }
});

describe('requestCacheDirective', () => {
  const cases: [Record<string, string>, string][] = [
    [{}, 'use'],
    [{ 'cache-control': 'no-store' }, 'no-store'],
    [{ 'cache-control': 'no-cache' }, 'revalidate'],
    [{ 'cache-control': 'max-age=0' }, 'revalidate'],
    [{ 'cache-control': 'max-age=60' }, 'use'],
    [{ pragma: 'no-cache' }, 'revalidate'],
    [{ pragma: 'no-cache', 'cache-control': 'max-age=60' }, 'use'],
  ];
  for (const [headers, directive] of cases) {
    it(`${JSON.stringify(headers)} → ${directive}`, () => {
      assert.equal(requestCacheDirective(headers), directive);
    });
  }
});

describe('responseCacheKey: one principal never shares a key with another', () => {
  const alice = { subject: 'alice', clientId: 'web', scopes: ['a'], groups: ['g'], amr: ['pwd'] };
  const key = (
    over: Partial<typeof alice> | undefined,
    method = 'GET',
    target = '/orders',
    service = 'orders',
  ) => responseCacheKey(method, target, service, over === undefined ? undefined : { ...alice, ...over });

  it('is stable for the same request', () => {
    assert.equal(key({}), key({}));
    assert.match(key({}), /^[A-Za-z0-9_-]{43}$/u);
  });
  it('differs on every field', () => {
    const keys = new Set([
      key({}),
      key(undefined),
      key({ subject: 'bob' }),
      key({ clientId: 'cli' }),
      key({ scopes: ['a', 'b'] }),
      key({ groups: [] }),
      key({ amr: ['pwd', 'otp'] }),
      key({}, 'HEAD'),
      key({}, 'GET', '/orders?page=2'),
      key({}, 'GET', '/orders', 'profiles'),
    ]);
    assert.equal(keys.size, 10);
  });
  it('cannot be aliased by a subject holding separators', () => {
    assert.notEqual(key({ subject: 'a","b', clientId: 'c' }), key({ subject: 'a', clientId: 'b","c' }));
    assert.notEqual(
      key({ subject: 'alice', scopes: ['a b'] }),
      key({ subject: 'alice', scopes: ['a', 'b'] }),
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponseCache } from '../../src/cache/index.ts';

const answer = (text: string, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'text/plain', ...headers },
  body: Buffer.from(text),
});

describe('createResponseCache', () => {
  it('serves an answer until its TTL, then forgets it', () => {
    let now = 1000;
    const cache = createResponseCache({ now: () => now });
    cache.set('k', '/orders', answer('a'), 5000, {});
    assert.equal(cache.get('k', {})?.body.toString(), 'a');
    now += 4999;
    assert.equal(cache.get('k', {})?.storedAtMs, 1000);
    now += 1;
    assert.equal(cache.get('k', {}), undefined);
    assert.deepEqual(cache.stats(), { entries: 0, bytes: 0 });
  });

  it('evicts the least recently used past maxEntries', () => {
    const cache = createResponseCache({ maxEntries: 2 });
    cache.set('a', '/a', answer('a'), 60_000, {});
    cache.set('b', '/b', answer('b'), 60_000, {});
    cache.get('a', {});
    cache.set('c', '/c', answer('c'), 60_000, {});
    assert.ok(cache.get('a', {}));
    assert.equal(cache.get('b', {}), undefined);
    assert.ok(cache.get('c', {}));
  });

  it('evicts past maxBytes, and never stores one answer over maxEntryBytes', () => {
    const cache = createResponseCache({ maxBytes: 3000, maxEntryBytes: 2000 });
    cache.set('big', '/big', answer('x'.repeat(5000)), 60_000, {});
    assert.equal(cache.get('big', {}), undefined);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, `/k${i}`, answer('y'.repeat(1000)), 60_000, {});
    assert.ok(cache.stats().bytes <= 3000);
    assert.ok(cache.get('k9', {}));
    assert.equal(cache.get('k0', {}), undefined);
  });

  it("matches the request's values of the Vary fields", () => {
    const cache = createResponseCache();
    cache.set('k', '/r', answer('json', { vary: 'Accept, Accept-Language' }), 60_000, {
      accept: 'application/json',
    });
    assert.ok(cache.get('k', { accept: 'application/json' }));
    assert.equal(cache.get('k', { accept: 'text/csv' }), undefined);
    assert.equal(cache.get('k', { accept: 'application/json', 'accept-language': 'fr' }), undefined);
  });

  it('invalidates every answer of a path, and only of that path', () => {
    const cache = createResponseCache();
    cache.set('alice', '/orders', answer('a'), 60_000, {});
    cache.set('bob', '/orders', answer('b'), 60_000, {});
    cache.set('one', '/orders/1', answer('1'), 60_000, {});
    cache.invalidatePath('/orders');
    assert.equal(cache.get('alice', {}), undefined);
    assert.equal(cache.get('bob', {}), undefined);
    assert.ok(cache.get('one', {}));
    assert.equal(cache.stats().entries, 1);
  });

  it('replaces an entry under the same key, keeping the byte count right', () => {
    const cache = createResponseCache();
    cache.set('k', '/r', answer('first'), 60_000, {});
    const once = cache.stats().bytes;
    cache.set('k', '/r', answer('later'), 60_000, {});
    assert.equal(cache.stats().bytes, once);
    assert.equal(cache.get('k', {})?.body.toString(), 'later');
    cache.clear();
    assert.deepEqual(cache.stats(), { entries: 0, bytes: 0 });
  });

  it('refuses unusable bounds with a TypeError', () => {
    assert.throws(() => createResponseCache({ maxEntries: 0 }), TypeError);
    assert.throws(() => createResponseCache({ maxBytes: 1.5 }), TypeError);
  });
});

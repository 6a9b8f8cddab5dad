import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isRampartError } from '@rampart/errors';
import { createJwksCache, type JwksCache, type JwksCacheOptions } from '../../src/auth/jwks-cache.ts';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '../../src/auth/verify-access-token.ts';
import {
  AUDIENCE,
  ISSUER,
  makeKey,
  mint,
  startJwksServer,
  type JwksServer,
  type TestKey,
} from './helpers.ts';

const MINUTE = 60_000;

async function rejectsWith(promise: Promise<unknown>, code: string, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isRampartError(error), `expected a RampartError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.ok(
      error.detail?.includes(reason),
      `detail ${JSON.stringify(error.detail)} should include ${reason}`,
    );
    return true;
  });
}

/** Resolves once `predicate` holds, polling the event loop (for background fetches). */
async function until(predicate: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !predicate(); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(predicate(), 'condition not reached');
}

describe('JWKS cache', () => {
  let es: TestKey;
  let server: JwksServer;
  let clock: number;
  let caches: JwksCache[];

  function cache(options: Partial<JwksCacheOptions> = {}): JwksCache {
    const created = createJwksCache({
      url: server.url,
      dangerouslyAllowHttp: true,
      now: () => clock,
      ...options,
    });
    caches.push(created);
    return created;
  }

  function verifierFor(jwks: JwksCache): AccessTokenVerifier {
    return createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, cacheMaxEntries: 0 });
  }

  beforeEach(async () => {
    es = await makeKey('ES256', 'es-1');
    server = await startJwksServer([es.publicJwk]);
    clock = Date.now();
    caches = [];
  });

  afterEach(async () => {
    await Promise.all(caches.map((created) => created.close()));
    await server.close();
  });

  it('fetches once, lazily, and serves known kids from memory', async () => {
    const jwks = cache();
    const verifier = verifierFor(jwks);
    assert.equal(server.hits, 0);
    await verifier.verify(await mint(es));
    await verifier.verify(await mint(es));
    assert.equal(server.hits, 1);
    assert.deepEqual(
      { ...jwks.stats(), ageMs: 0 },
      {
        fetches: 1,
        fetchFailures: 0,
        kidMissRefreshes: 0,
        cooldownHits: 0,
        keys: 1,
        ignoredKeys: 0,
        ageMs: 0,
        lastError: undefined,
        dangerouslyAllowHttp: true,
      },
    );
  });

  it('refetches exactly once on an unknown kid, then holds a cooldown', async () => {
    const jwks = cache({ cooldownMs: 30_000 });
    const verifier = verifierFor(jwks);
    await jwks.refresh();
    const ghost = await makeKey('ES256', 'ghost');
    await rejectsWith(
      verifier.verify(await mint(ghost)),
      'GW_TOKEN_INVALID',
      'not in the issuer key set (after refresh)',
    );
    assert.equal(server.hits, 2);
    await rejectsWith(verifier.verify(await mint(ghost)), 'GW_TOKEN_INVALID', '(refresh in cooldown)');
    assert.equal(server.hits, 2);
    clock += 30_000;
    await rejectsWith(verifier.verify(await mint(ghost)), 'GW_TOKEN_INVALID', 'after refresh');
    assert.equal(server.hits, 3);
    const stats = jwks.stats();
    assert.equal(stats.kidMissRefreshes, 2);
    assert.equal(stats.cooldownHits, 1);
  });

  it('turns 100 concurrent unknown kids into one fetch', async () => {
    const jwks = cache();
    const verifier = verifierFor(jwks);
    await jwks.refresh();
    const tokens = await Promise.all(
      Array.from({ length: 100 }, async (_, index) =>
        mint({ ...(await makeKey('ES256', `bogus-${index}`)) }),
      ),
    );
    const outcomes = await Promise.allSettled(tokens.map((token) => verifier.verify(token)));
    assert.ok(outcomes.every((outcome) => outcome.status === 'rejected'));
    assert.equal(server.hits, 2);
    assert.equal(jwks.stats().kidMissRefreshes, 1);
  });

  it('shares the first fetch between concurrent cold requests', async () => {
    const verifier = verifierFor(cache());
    const tokens = await Promise.all(Array.from({ length: 20 }, () => mint(es)));
    await Promise.all(tokens.map((token) => verifier.verify(token)));
    assert.equal(server.hits, 1);
  });

  it('verifies a token from a rotated-in key after one refetch', async () => {
    const jwks = cache();
    const verifier = verifierFor(jwks);
    await verifier.verify(await mint(es));
    const next = await makeKey('EdDSA', 'ed-2');
    server.publish([es.publicJwk, next.publicJwk]);
    assert.equal((await verifier.verify(await mint(next))).subject, 'alice');
    assert.equal(server.hits, 2);
    await verifier.verify(await mint(next));
    assert.equal(server.hits, 2);
  });

  it('stops accepting a key withdrawn from the set once refreshed', async () => {
    const jwks = cache();
    const verifier = verifierFor(jwks);
    await verifier.verify(await mint(es));
    const next = await makeKey('ES256', 'es-2');
    server.publish([next.publicJwk]);
    clock += 5 * MINUTE + 1;
    await verifier.verify(await mint(es)); // served from the old set while the background refresh runs
    await until(() => server.hits === 2);
    await until(
      () => jwks.stats().kidMissRefreshes === 0 && jwks.stats().keys === 1 && jwks.stats().ageMs === 0,
    );
    clock += 30_000;
    await rejectsWith(verifier.verify(await mint(es)), 'GW_TOKEN_INVALID', 'not in the issuer key set');
  });

  it('refreshes in the background after max-age without delaying requests', async () => {
    const jwks = cache({ maxAgeMs: MINUTE });
    const verifier = verifierFor(jwks);
    await verifier.verify(await mint(es));
    clock += MINUTE - 1;
    await verifier.verify(await mint(es));
    assert.equal(server.hits, 1);
    clock += 2;
    server.hang = true;
    await verifier.verify(await mint(es)); // would hang if it waited for the refresh
    await until(() => server.hits === 2);
  });

  it('keeps the last good set while the issuer is down, until the max stale age', async () => {
    const jwks = cache({ timeoutMs: 500 });
    const verifier = verifierFor(jwks);
    await verifier.verify(await mint(es));
    await server.close();
    clock += 10 * MINUTE;
    await verifier.verify(await mint(es));
    await until(() => jwks.stats().fetchFailures === 1);
    assert.ok(jwks.stats().lastError !== undefined);
    clock += 10 * MINUTE;
    assert.equal((await verifier.verify(await mint(es))).subject, 'alice');
    clock += 41 * MINUTE;
    await rejectsWith(verifier.verify(await mint(es)), 'GW_KEYS_UNAVAILABLE', 'old');
  });

  it('fails closed with GW_KEYS_UNAVAILABLE when there never was a good set, and backs off', async () => {
    server.status = 503;
    const jwks = cache({ failureBackoffMs: 5_000 });
    const verifier = verifierFor(jwks);
    await rejectsWith(verifier.verify(await mint(es)), 'GW_KEYS_UNAVAILABLE', 'no key set was ever fetched');
    await rejectsWith(verifier.verify(await mint(es)), 'GW_KEYS_UNAVAILABLE', 'answered 503');
    assert.equal(server.hits, 1);
    server.status = 200;
    clock += 5_000;
    assert.equal((await verifier.verify(await mint(es))).subject, 'alice');
    assert.equal(server.hits, 2);
  });

  it('refresh() rejects with GW_KEYS_UNAVAILABLE while no set can be had', async () => {
    server.status = 500;
    await rejectsWith(cache().refresh(), 'GW_KEYS_UNAVAILABLE', 'answered 500');
  });

  it('ignores keys for encryption, outside the allow-list, symmetric, private or without kid', async () => {
    const enc = await makeKey('ES256', 'enc-1');
    const rs = await makeKey('RS256', 'rs-1');
    const priv = await makeKey('ES256', 'priv-1');
    server.publish([
      es.publicJwk,
      { ...enc.publicJwk, use: 'enc' },
      rs.publicJwk,
      { kty: 'oct', k: 'c2VjcmV0', kid: 'hs-1', alg: 'HS256' },
      { ...priv.publicJwk, d: 'AAAA' },
      { ...es.publicJwk, kid: undefined },
    ]);
    const jwks = cache();
    const verifier = verifierFor(jwks);
    await rejectsWith(verifier.verify(await mint(enc)), 'GW_TOKEN_INVALID', 'not in the issuer key set');
    await rejectsWith(verifier.verify(await mint(priv)), 'GW_TOKEN_INVALID', 'not in the issuer key set');
    assert.equal((await verifier.verify(await mint(es))).subject, 'alice');
    assert.deepEqual([jwks.stats().keys, jwks.stats().ignoredKeys], [1, 5]);
  });

  describe('fetch policy (every refusal keeps the last good set, or fails closed)', () => {
    const cases: readonly {
      name: string;
      arrange: (server: JwksServer) => void;
      options?: Partial<JwksCacheOptions>;
      reason: string;
    }[] = [
      {
        name: 'a non-JSON content type',
        arrange: (s) => (s.contentType = 'text/html'),
        reason: 'content-type',
      },
      { name: 'a non-200 status', arrange: (s) => (s.status = 404), reason: 'answered 404' },
      {
        name: 'a body over the size cap',
        arrange: (s) => {
          s.publish(Array.from({ length: 50 }, () => es.publicJwk));
        },
        options: { maxResponseBytes: 2048 },
        reason: 'byte cap',
      },
      { name: 'invalid JSON', arrange: (s) => (s.body = '{"keys": ['), reason: 'not valid JSON' },
      { name: 'a document without keys', arrange: (s) => (s.body = '{"k": []}'), reason: 'no keys member' },
      {
        name: 'an endpoint that never answers',
        arrange: (s) => (s.hang = true),
        options: { timeoutMs: 200 },
        reason: '',
      },
    ];
    for (const { name, arrange, options = {}, reason } of cases) {
      it(`refuses ${name}`, async () => {
        arrange(server);
        const jwks = cache(options);
        await rejectsWith(jwks.refresh(), 'GW_KEYS_UNAVAILABLE', reason);
        assert.equal(jwks.stats().fetchFailures, 1);
      });
    }

    it('accepts application/jwk-set+json with parameters (RFC 7517 §8.5)', async () => {
      server.contentType = 'application/jwk-set+json; charset=utf-8';
      await cache().refresh();
    });

    it('does not follow redirects', async () => {
      const redirector = createServer((_, response) => {
        response.writeHead(302, { location: server.url }).end();
      });
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      const { port } = redirector.address() as AddressInfo;
      try {
        await rejectsWith(
          cache({ url: `http://127.0.0.1:${port}/jwks` }).refresh(),
          'GW_KEYS_UNAVAILABLE',
          'answered 302',
        );
        assert.equal(server.hits, 0);
      } finally {
        redirector.closeAllConnections();
        await new Promise((resolve) => redirector.close(resolve));
      }
    });
  });

  describe('url policy', () => {
    it('refuses plain http unless dangerouslyAllowHttp, and then only to loopback', () => {
      assert.throws(() => createJwksCache({ url: server.url }), /dangerouslyAllowHttp/);
      assert.throws(
        () => createJwksCache({ url: 'http://identity.internal/jwks', dangerouslyAllowHttp: true }),
        TypeError,
      );
      assert.throws(() => createJwksCache({ url: 'ftp://127.0.0.1/jwks' }), TypeError);
      assert.throws(() => createJwksCache({ url: 'https://user:pw@127.0.0.1/jwks' }), TypeError);
    });

    it('warns when dangerouslyAllowHttp is on and shows it in stats', () => {
      const warnings: string[] = [];
      const jwks = cache({ logger: { warn: (_fields, message) => warnings.push(message) } });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /dangerouslyAllowHttp/);
      assert.equal(jwks.stats().dangerouslyAllowHttp, true);
    });

    it('accepts https without the switch', async () => {
      const jwks = createJwksCache({ url: 'https://127.0.0.1:1/jwks', timeoutMs: 200 });
      assert.equal(jwks.stats().dangerouslyAllowHttp, false);
      await jwks.close();
    });
  });
});

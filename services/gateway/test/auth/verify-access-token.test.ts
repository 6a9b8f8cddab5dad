import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { isRampartError } from '@rampart/errors';
import { AccessTokenError, type AccessTokenRefusal } from '@rampart/tokens';
import { createJwksCache, type JwksCache } from '../../src/auth/jwks-cache.ts';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '../../src/auth/verify-access-token.ts';
import {
  AUDIENCE,
  ISSUER,
  b64url,
  makeKey,
  mint,
  startJwksServer,
  type JwksServer,
  type TestKey,
} from './helpers.ts';

const INVALID_CODE = 'GW_TOKEN_INVALID';

async function rejects(promise: Promise<unknown>, code: string, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isRampartError(error), `expected a RampartError, got ${String(error)}`);
    assert.equal(error.code, code, `code for ${error.detail ?? ''}`);
    assert.ok(
      error.detail?.includes(reason),
      `detail ${JSON.stringify(error.detail)} should include ${reason}`,
    );
    return true;
  });
}

describe("the gateway's access-token verifier (RFC 9068 through @rampart/tokens)", () => {
  let es: TestKey;
  let ed: TestKey;
  let ps: TestKey;
  let rs: TestKey;
  let stranger: TestKey;
  let ghost: TestKey;
  let server: JwksServer;
  let jwks: JwksCache;
  let verifier: AccessTokenVerifier;
  const now = (): number => Math.floor(Date.now() / 1000);

  before(async () => {
    [es, ed, ps, rs, stranger, ghost] = await Promise.all([
      makeKey('ES256', 'es-1'),
      makeKey('EdDSA', 'ed-1'),
      makeKey('PS256', 'ps-1'),
      makeKey('RS256', 'rs-1'),
      makeKey('ES256', 'es-1'),
      makeKey('ES256', 'ghost'),
    ]);
    server = await startJwksServer([es.publicJwk, ed.publicJwk, ps.publicJwk, rs.publicJwk]);
    jwks = createJwksCache({ url: server.url, dangerouslyAllowHttp: true });
    verifier = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, cacheMaxEntries: 0 });
  });

  after(async () => {
    await jwks.close();
    await server.close();
  });

  describe('accepts', () => {
    it('an ES256 token and returns frozen claims', async () => {
      const claims = await verifier.verify(await mint(es, { claims: { jti: 'j-1' } }));
      assert.equal(claims.subject, 'alice');
      assert.equal(claims.clientId, 'shop-web');
      assert.deepEqual(claims.scopes, ['orders:read', 'profile']);
      assert.deepEqual(claims.groups, ['customers']);
      assert.deepEqual(claims.amr, ['pwd', 'otp']);
      assert.equal(claims.acr, 'urn:rampart:mfa');
      assert.equal(claims.jti, 'j-1');
      assert.equal(typeof claims.expiresAt, 'number');
      assert.equal(claims.cnf, undefined);
      assert.ok(Object.isFrozen(claims) && Object.isFrozen(claims.scopes) && Object.isFrozen(claims.groups));
    });

    it('EdDSA and PS256 tokens, their keys from the issuer key set', async () => {
      assert.equal((await verifier.verify(await mint(ed))).subject, 'alice');
      assert.equal((await verifier.verify(await mint(ps))).subject, 'alice');
    });

    it('a bound token (cnf) only when acceptBoundTokens is set, and returns cnf', async () => {
      const bound = createAccessTokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks,
        acceptBoundTokens: true,
      });
      const claims = await bound.verify(await mint(es, { claims: { cnf: { jkt: 'abc' } } }));
      assert.deepEqual(claims.cnf, { jkt: 'abc' });
      assert.ok(Object.isFrozen(claims.cnf));
    });
  });

  describe("refuses, as the gateway's codes with the shared refusal's detail", () => {
    // The checks themselves are @rampart/tokens' (packages/tokens/test/verify-access-token.test.ts):
    // here, one token per refusal reason, for the code and detail each becomes.
    const cases: readonly {
      name: string;
      token: () => Promise<string>;
      reason: AccessTokenRefusal;
      code?: string;
      detail: string;
    }[] = [
      {
        name: 'alg none, unsigned (empty signature)',
        token: () => Promise.resolve(new UnsecuredJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'alice' }).encode()),
        reason: 'malformed_token',
        detail: 'empty signature',
      },
      {
        name: 'HS256 signed with the public key bytes (key confusion)',
        token: () =>
          new SignJWT({
            iss: ISSUER,
            aud: AUDIENCE,
            sub: 'alice',
            client_id: 'c',
            jti: 'j',
            iat: now(),
            exp: now() + 60,
          })
            .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'es-1' })
            .sign(new TextEncoder().encode(JSON.stringify(es.publicJwk))),
        reason: 'algorithm_not_allowed',
        detail: 'alg "HS256" not allowed',
      },
      {
        name: 'jwk header',
        token: () => mint(es, { header: { jwk: es.publicJwk } }),
        reason: 'key_in_header',
        detail: 'jwk header present',
      },
      {
        name: 'unknown crit extension',
        token: () =>
          mint(es, {
            header: { crit: ['urn:x:ext'], 'urn:x:ext': true },
            signOptions: { crit: { 'urn:x:ext': true } },
          }),
        reason: 'unsupported_critical',
        detail: 'crit header',
      },
      {
        name: 'typ JWT',
        token: () => mint(es, { header: { typ: 'JWT' } }),
        reason: 'wrong_token_type',
        detail: 'typ "JWT" is not at+jwt',
      },
      {
        name: "kid unknown after refresh (the JWKS cache's own refusal)",
        token: () => mint(ghost),
        reason: 'unknown_key',
        detail: 'not in the issuer key set (after refresh)',
      },
      {
        name: 'an alg the key is not for (EdDSA header, ES256 kid)',
        token: () => mint({ ...ed, kid: 'es-1' }),
        reason: 'unknown_key',
        detail: 'no key in the issuer key set fits',
      },
      {
        name: 'signature by a key not in the set (known kid)',
        token: () => mint(stranger),
        reason: 'bad_signature',
        detail: 'signature verification failed',
      },
      {
        name: 'expired beyond the skew',
        token: () => mint(es, { claims: { iat: now() - 600, exp: now() - 31 } }),
        reason: 'token_expired',
        code: 'GW_TOKEN_EXPIRED',
        detail: 'claim exp',
      },
      {
        name: 'iat in the future beyond the skew',
        token: () => mint(es, { claims: { iat: now() + 120, exp: now() + 600 } }),
        reason: 'token_not_yet_valid',
        detail: 'iat is in the future',
      },
      {
        name: 'wrong issuer',
        token: () => mint(es, { claims: { iss: 'https://evil.example' } }),
        reason: 'wrong_issuer',
        detail: 'claim iss',
      },
      {
        name: 'another audience',
        token: () => mint(es, { claims: { aud: 'https://other.example' } }),
        reason: 'wrong_audience',
        detail: 'claim aud',
      },
      {
        name: 'groups not an array of strings',
        token: () => mint(es, { claims: { groups: 'admins' } }),
        reason: 'invalid_claims',
        detail: 'claim groups',
      },
      {
        name: 'a bound token (cnf) without a proof-of-possession stage',
        token: () => mint(es, { claims: { cnf: { jkt: 'abc' } } }),
        reason: 'sender_constrained',
        detail: 'bound to a key',
      },
      {
        name: 'a 100 KB token',
        token: () => Promise.resolve('a'.repeat(100 * 1024)),
        reason: 'malformed_token',
        detail: 'longer than 8192',
      },
    ];

    for (const { name, token, reason, code = INVALID_CODE, detail } of cases) {
      it(`${name}: ${reason} is ${code}`, async () => {
        await assert.rejects(verifier.verify(await token()), (error: unknown) => {
          assert.ok(isRampartError(error), `expected a RampartError, got ${String(error)}`);
          assert.equal(error.code, code, `code for ${error.detail ?? ''}`);
          assert.ok(
            error.detail?.includes(detail),
            `detail ${JSON.stringify(error.detail)} should include ${detail}`,
          );
          assert.ok(error.cause instanceof AccessTokenError);
          assert.equal(error.cause.reason, reason);
          return true;
        });
      });
    }

    it('a token refused on its shape is never hashed into the verified-token cache', async () => {
      const cached = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks });
      for (const token of [
        '',
        'a'.repeat(100 * 1024),
        'a.b',
        `${b64url({ alg: 'dir' })}..aXY.Y2lwaGVy.dGFn`,
      ]) {
        await rejects(cached.verify(token), INVALID_CODE, '');
      }
      assert.deepEqual(cached.cache?.stats(), { size: 0, hits: 0, misses: 0, evictions: 0 });
    });
  });

  describe('configuration', () => {
    it('refuses alg none, HS256 and unknown algorithms in the allow-list', () => {
      for (const alg of ['none', 'HS256', 'XS1']) {
        assert.throws(
          () =>
            createAccessTokenVerifier({
              issuer: ISSUER,
              audience: AUDIENCE,
              jwks,
              algorithms: [alg as 'ES256'],
            }),
          TypeError,
        );
      }
    });

    it('accepts RS256 only when allowed, and then verifies it', async () => {
      const rsJwks = createJwksCache({ url: server.url, dangerouslyAllowHttp: true, algorithms: ['RS256'] });
      const rsVerifier = createAccessTokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: rsJwks,
        algorithms: ['RS256'],
      });
      try {
        assert.equal((await rsVerifier.verify(await mint(rs))).subject, 'alice');
        await rejects(rsVerifier.verify(await mint(es)), INVALID_CODE, 'alg "ES256" not allowed');
      } finally {
        await rsJwks.close();
      }
    });

    it('honours a smaller size cap and a zero skew', async () => {
      const strict = createAccessTokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks,
        maxTokenBytes: 100,
        clockSkewSeconds: 0,
      });
      await rejects(strict.verify(await mint(es)), INVALID_CODE, 'longer than 100 bytes');
      const noSkew = createAccessTokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks,
        clockSkewSeconds: 0,
      });
      await rejects(
        noSkew.verify(await mint(es, { claims: { exp: now() - 1, iat: now() - 60 } })),
        'GW_TOKEN_EXPIRED',
        'claim exp',
      );
    });
  });
});

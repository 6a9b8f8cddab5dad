import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { isRampartError } from '@rampart/errors';
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

describe('access token verification (RFC 9068, RFC 8725)', () => {
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

    it('an EdDSA token', async () => {
      assert.equal((await verifier.verify(await mint(ed))).subject, 'alice');
    });

    it('a PS256 token', async () => {
      assert.equal((await verifier.verify(await mint(ps))).subject, 'alice');
    });

    it('typ application/at+jwt (RFC 9068 §4)', async () => {
      const token = await mint(es, { header: { typ: 'application/at+jwt' } });
      assert.equal((await verifier.verify(token)).subject, 'alice');
    });

    it('aud as an array that contains the audience, and no scope/groups/amr', async () => {
      const token = await mint(es, {
        claims: { aud: ['https://other.example', AUDIENCE] },
        omit: ['scope', 'groups', 'amr', 'acr'],
      });
      const claims = await verifier.verify(token);
      assert.deepEqual([claims.scopes, claims.groups, claims.amr, claims.acr], [[], [], [], undefined]);
    });

    it('exp just past, within the clock skew', async () => {
      const token = await mint(es, { claims: { exp: now() - 10, iat: now() - 300 } });
      assert.equal((await verifier.verify(token)).subject, 'alice');
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

  describe('refuses', () => {
    const INVALID = 'GW_TOKEN_INVALID';
    const cases: readonly { name: string; token: () => Promise<string>; code?: string; reason: string }[] = [
      {
        name: 'alg none, unsigned (empty signature)',
        token: () => Promise.resolve(new UnsecuredJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'alice' }).encode()),
        reason: 'empty signature',
      },
      {
        name: 'alg none with a signature segment',
        token: async () => {
          const [, payload] = (await mint(es)).split('.');
          return `${b64url({ alg: 'none', typ: 'at+jwt', kid: 'es-1' })}.${payload ?? ''}.c2ln`;
        },
        reason: 'alg none',
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
        reason: 'alg "HS256" not allowed',
      },
      { name: 'RS256 when not allowed', token: () => mint(rs), reason: 'alg "RS256" not allowed' },
      {
        name: 'an alg the key is not for (EdDSA header, ES256 kid)',
        token: () => mint({ ...ed, kid: 'es-1' }),
        reason: 'no key in the issuer key set fits',
      },
      {
        name: 'wrong issuer',
        token: () => mint(es, { claims: { iss: 'https://evil.example' } }),
        reason: 'claim iss',
      },
      {
        name: 'issuer differing by a trailing slash',
        token: () => mint(es, { claims: { iss: `${ISSUER}/` } }),
        reason: 'claim iss',
      },
      { name: 'audience missing', token: () => mint(es, { omit: ['aud'] }), reason: 'claim aud (missing)' },
      {
        name: 'another audience',
        token: () => mint(es, { claims: { aud: 'https://other.example' } }),
        reason: 'claim aud',
      },
      {
        name: 'expired beyond the skew',
        token: () => mint(es, { claims: { iat: now() - 600, exp: now() - 31 } }),
        code: 'GW_TOKEN_EXPIRED',
        reason: 'claim exp',
      },
      {
        name: 'nbf in the future',
        token: () => mint(es, { claims: { nbf: now() + 120 } }),
        reason: 'claim nbf',
      },
      {
        name: 'iat in the future beyond the skew',
        token: () => mint(es, { claims: { iat: now() + 120, exp: now() + 600 } }),
        reason: 'iat is in the future',
      },
      { name: 'missing exp', token: () => mint(es, { omit: ['exp'] }), reason: 'claim exp (missing)' },
      { name: 'missing iat', token: () => mint(es, { omit: ['iat'] }), reason: 'claim iat (missing)' },
      { name: 'missing jti', token: () => mint(es, { omit: ['jti'] }), reason: 'claim jti (missing)' },
      { name: 'missing sub', token: () => mint(es, { omit: ['sub'] }), reason: 'claim sub (missing)' },
      {
        name: 'missing client_id',
        token: () => mint(es, { omit: ['client_id'] }),
        reason: 'claim client_id (missing)',
      },
      {
        name: 'sub not a string',
        token: () => mint(es, { claims: { sub: 42 } as never }),
        reason: 'claim sub',
      },
      {
        name: 'exp not a number',
        token: () => mint(es, { claims: { exp: '9999999999' } as never }),
        reason: 'exp',
      },
      {
        name: 'groups not an array of strings',
        token: () => mint(es, { claims: { groups: 'admins' } }),
        reason: 'claim groups',
      },
      {
        name: 'a bound token (cnf) without a proof-of-possession stage',
        token: () => mint(es, { claims: { cnf: { jkt: 'abc' } } }),
        reason: 'bound to a key',
      },
      {
        name: 'typ JWT',
        token: () => mint(es, { header: { typ: 'JWT' } }),
        reason: 'typ "JWT" is not at+jwt',
      },
      {
        name: 'typ application/jwt',
        token: () => mint(es, { header: { typ: 'application/jwt' } }),
        reason: 'is not at+jwt',
      },
      {
        name: 'typ missing',
        token: () => mint(es, { header: { typ: undefined } }),
        reason: 'typ header missing',
      },
      {
        name: 'jku header',
        token: () => mint(es, { header: { jku: 'https://evil.example/jwks' } }),
        reason: 'jku header present',
      },
      {
        name: 'x5u header',
        token: () => mint(es, { header: { x5u: 'https://evil.example/cert' } }),
        reason: 'x5u header present',
      },
      {
        name: 'jwk header',
        token: () => mint(es, { header: { jwk: es.publicJwk } }),
        reason: 'jwk header present',
      },
      {
        name: 'x5c header',
        token: () => mint(es, { header: { x5c: ['MIIBfake'] } }),
        reason: 'x5c header present',
      },
      {
        name: 'unknown crit extension',
        token: () =>
          mint(es, {
            header: { crit: ['urn:x:ext'], 'urn:x:ext': true },
            signOptions: { crit: { 'urn:x:ext': true } },
          }),
        reason: 'crit header',
      },
      {
        name: 'kid missing',
        token: () => mint(es, { header: { kid: undefined } }),
        reason: 'kid header missing',
      },
      {
        name: 'kid with path and SQL',
        token: () => mint({ ...ghost, kid: "../../etc/passwd' OR '1'='1" }),
        reason: 'not in the issuer key set',
      },
      { name: 'kid unknown after refresh', token: () => mint(ghost), reason: 'not in the issuer key set' },
      {
        name: 'signature by a key not in the set (known kid)',
        token: () => mint(stranger),
        reason: 'signature verification failed',
      },
      {
        name: 'tampered payload',
        token: async () => {
          const [header, , signature] = (await mint(es)).split('.');
          const forged = b64url({
            iss: ISSUER,
            aud: AUDIENCE,
            sub: 'admin',
            client_id: 'c',
            jti: 'j',
            iat: now(),
            exp: now() + 60,
          });
          return `${header ?? ''}.${forged}.${signature ?? ''}`;
        },
        reason: 'signature verification failed',
      },
      {
        name: 'a token over the size cap',
        token: () => mint(es, { claims: { pad: 'x'.repeat(9000) } }),
        reason: 'longer than 8192 bytes',
      },
      {
        name: 'a 100 KB token',
        token: () => Promise.resolve('a'.repeat(100 * 1024)),
        reason: 'longer than 8192',
      },
      {
        name: 'JWE-shaped 5-part token',
        token: () => Promise.resolve(`${b64url({ alg: 'dir', enc: 'A256GCM' })}..aXY.Y2lwaGVy.dGFn`),
        reason: 'JWE',
      },
      { name: 'two segments', token: () => Promise.resolve('YQ.YQ'), reason: '2 segments' },
      { name: 'garbage base64url', token: () => Promise.resolve('abc.def.ghi'), reason: 'protected header' },
      {
        name: 'characters outside base64url',
        token: () => Promise.resolve('a+b.c/d.e=f'),
        reason: 'outside base64url',
      },
      { name: 'empty token', token: () => Promise.resolve(''), reason: 'empty' },
      {
        name: 'header that is JSON but not an object',
        token: () => Promise.resolve(`${b64url('[1]')}.${b64url('{}')}.c2ln`),
        reason: 'protected header',
      },
    ];

    for (const { name, token, code = INVALID, reason } of cases) {
      it(name, async () => {
        await rejects(verifier.verify(await token()), code, reason);
      });
    }
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

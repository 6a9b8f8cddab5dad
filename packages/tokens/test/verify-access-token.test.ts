import assert from 'node:assert/strict';
import { KeyObject, createSign } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import {
  AccessTokenError,
  AccessTokenPolicy,
  checkAccessTokenShape,
  verifyAccessToken,
  type AccessTokenKeys,
  type AccessTokenRefusal,
} from '@rampart/tokens';
import {
  AUDIENCE,
  ISSUER,
  USER,
  b64url,
  keySet,
  makeKey,
  mint,
  type TestKey,
} from './access-token-support.ts';

async function refused(
  promise: Promise<unknown>,
  reason: AccessTokenRefusal,
  detail: string,
  subject?: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AccessTokenError, `expected an AccessTokenError, got ${String(error)}`);
    assert.equal(error.reason, reason, `reason for ${error.detail}`);
    assert.ok(
      error.detail.includes(detail),
      `detail ${JSON.stringify(error.detail)} should include ${detail}`,
    );
    assert.equal(error.subject, subject, `subject for ${error.detail}`);
    return true;
  });
}

const now = (): number => Math.floor(Date.now() / 1000);

describe('access token verification (RFC 9068, RFC 8725)', () => {
  let es: TestKey;
  let ed: TestKey;
  let ps: TestKey;
  let rs: TestKey;
  let stranger: TestKey;
  let ghost: TestKey;
  let keys: AccessTokenKeys;
  const policy = new AccessTokenPolicy({ issuer: ISSUER, audience: AUDIENCE });

  before(async () => {
    [es, ed, ps, rs, stranger, ghost] = await Promise.all([
      makeKey('ES256', 'es-1'),
      makeKey('EdDSA', 'ed-1'),
      makeKey('PS256', 'ps-1'),
      makeKey('RS256', 'rs-1'),
      makeKey('ES256', 'es-1'),
      makeKey('ES256', 'ghost'),
    ]);
    keys = keySet([es, ed, ps, rs]);
  });

  describe('accepts', () => {
    it('an ES256 token and returns deeply frozen, typed claims', async () => {
      const claims = await verifyAccessToken(
        await mint(es, { claims: { jti: 'j-1', gid: 'g-1' } }),
        keys,
        policy,
      );
      assert.equal(claims.subject, USER);
      assert.equal(claims.principalKind, 'user');
      assert.equal(claims.clientId, 'shop-web');
      assert.deepEqual(claims.scopes, ['orders:read', 'profile']);
      assert.deepEqual(claims.groups, ['customers']);
      assert.deepEqual(claims.amr, ['pwd', 'otp']);
      assert.equal(claims.acr, 'urn:rampart:mfa');
      assert.equal(claims.jti, 'j-1');
      assert.equal(claims.grantId, 'g-1');
      assert.equal(typeof claims.expiresAt, 'number');
      assert.equal(typeof claims.issuedAt, 'number');
      assert.equal(claims.cnf, undefined);
      assert.ok(Object.isFrozen(claims) && Object.isFrozen(claims.scopes) && Object.isFrozen(claims.groups));
    });

    it('an EdDSA token and a PS256 token', async () => {
      assert.equal((await verifyAccessToken(await mint(ed), keys, policy)).subject, USER);
      assert.equal((await verifyAccessToken(await mint(ps), keys, policy)).subject, USER);
    });

    it('typ application/at+jwt (RFC 9068 §4), and a policy naming it so', async () => {
      const token = await mint(es, { header: { typ: 'application/at+jwt' } });
      assert.equal((await verifyAccessToken(token, keys, policy)).subject, USER);
      const spelled = new AccessTokenPolicy({
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredType: 'Application/AT+JWT',
      });
      assert.equal((await verifyAccessToken(await mint(es), keys, spelled)).subject, USER);
    });

    it('aud as an array that contains the audience, and no scope/groups/amr', async () => {
      const token = await mint(es, {
        claims: { aud: ['https://other.example', AUDIENCE] },
        omit: ['scope', 'groups', 'amr', 'acr'],
      });
      const claims = await verifyAccessToken(token, keys, policy);
      assert.deepEqual([claims.scopes, claims.groups, claims.amr, claims.acr], [[], [], [], undefined]);
    });

    it('exp just past, within the clock skew', async () => {
      const token = await mint(es, { claims: { exp: now() - 10, iat: now() - 300 } });
      assert.equal((await verifyAccessToken(token, keys, policy)).subject, USER);
    });

    it("a client's own token (sub client:<client_id>) as a client principal", async () => {
      const token = await mint(es, { claims: { sub: 'client:shop-web' } });
      const claims = await verifyAccessToken(token, keys, policy);
      assert.deepEqual([claims.subject, claims.principalKind], ['client:shop-web', 'client']);
    });

    it('a bound token (cnf) only when acceptBoundTokens is set, and returns cnf frozen', async () => {
      const bound = new AccessTokenPolicy({ issuer: ISSUER, audience: AUDIENCE, acceptBoundTokens: true });
      const claims = await verifyAccessToken(
        await mint(es, { claims: { cnf: { jkt: 'abc' } } }),
        keys,
        bound,
      );
      assert.deepEqual(claims.cnf, { jkt: 'abc' });
      assert.ok(Object.isFrozen(claims.cnf));
    });

    it('by the policy clock, not the wall clock', async () => {
      const later = now() + 3600;
      const token = await mint(es, { nowSeconds: later });
      await refused(
        verifyAccessToken(token, keys, policy),
        'token_not_yet_valid',
        'iat is in the future',
        USER,
      );
      const shifted = new AccessTokenPolicy({ issuer: ISSUER, audience: AUDIENCE, now: () => later * 1000 });
      assert.equal((await verifyAccessToken(token, keys, shifted)).subject, USER);
    });
  });

  describe('refuses', () => {
    const cases: readonly {
      name: string;
      token: () => Promise<string>;
      reason: AccessTokenRefusal;
      detail: string;
      /** The subject the error carries: only once the signature verified. */
      subject?: string;
    }[] = [
      {
        name: 'alg none, unsigned (empty signature)',
        token: () => Promise.resolve(new UnsecuredJWT({ iss: ISSUER, aud: AUDIENCE, sub: USER }).encode()),
        reason: 'malformed_token',
        detail: 'empty signature',
      },
      {
        name: 'alg none with a signature segment',
        token: async () => {
          const [, payload] = (await mint(es)).split('.');
          return `${b64url({ alg: 'none', typ: 'at+jwt', kid: 'es-1' })}.${payload ?? ''}.c2ln`;
        },
        reason: 'algorithm_not_allowed',
        detail: 'alg none',
      },
      {
        name: 'alg NONE in capitals',
        token: async () => {
          const [, payload] = (await mint(es)).split('.');
          return `${b64url({ alg: 'NONE', typ: 'at+jwt', kid: 'es-1' })}.${payload ?? ''}.c2ln`;
        },
        reason: 'algorithm_not_allowed',
        detail: 'alg none',
      },
      {
        name: 'HS256 signed with the public key bytes (key confusion)',
        token: () =>
          new SignJWT({
            iss: ISSUER,
            aud: AUDIENCE,
            sub: USER,
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
        name: 'RS256 when not allowed',
        token: () => mint(rs),
        reason: 'algorithm_not_allowed',
        detail: 'alg "RS256" not allowed',
      },
      {
        name: 'alg missing',
        token: async () => {
          const [, payload] = (await mint(es)).split('.');
          return `${b64url({ typ: 'at+jwt', kid: 'es-1' })}.${payload ?? ''}.c2ln`;
        },
        reason: 'malformed_token',
        detail: 'alg header missing',
      },
      {
        name: 'an alg the key is not for (EdDSA header, ES256 kid)',
        token: () => mint({ ...ed, kid: 'es-1' }),
        reason: 'unknown_key',
        detail: 'no key in the issuer key set fits',
      },
      {
        name: 'wrong issuer',
        token: () => mint(es, { claims: { iss: 'https://evil.example' } }),
        reason: 'wrong_issuer',
        detail: 'claim iss',
        subject: USER,
      },
      {
        name: 'issuer differing by a trailing slash',
        token: () => mint(es, { claims: { iss: `${ISSUER}/` } }),
        reason: 'wrong_issuer',
        detail: 'claim iss',
        subject: USER,
      },
      {
        name: 'audience missing',
        token: () => mint(es, { omit: ['aud'] }),
        reason: 'wrong_audience',
        detail: 'claim aud (missing)',
        subject: USER,
      },
      {
        name: 'another audience',
        token: () => mint(es, { claims: { aud: 'https://other.example' } }),
        reason: 'wrong_audience',
        detail: 'claim aud',
        subject: USER,
      },
      {
        name: 'expired beyond the skew',
        token: () => mint(es, { claims: { iat: now() - 600, exp: now() - 31 } }),
        reason: 'token_expired',
        detail: 'claim exp',
        subject: USER,
      },
      {
        name: 'nbf in the future',
        token: () => mint(es, { claims: { nbf: now() + 120 } }),
        reason: 'token_not_yet_valid',
        detail: 'claim nbf',
        subject: USER,
      },
      {
        name: 'iat in the future beyond the skew',
        token: () => mint(es, { claims: { iat: now() + 120, exp: now() + 600 } }),
        reason: 'token_not_yet_valid',
        detail: 'iat is in the future',
        subject: USER,
      },
      ...['exp', 'iat', 'jti', 'client_id'].map((claim) => ({
        name: `missing ${claim}`,
        token: () => mint(es, { omit: [claim] }),
        reason: 'invalid_claims' as const,
        detail: `claim ${claim} (missing)`,
        subject: USER,
      })),
      {
        name: 'missing sub',
        token: () => mint(es, { omit: ['sub'] }),
        reason: 'invalid_claims',
        detail: 'claim sub (missing)',
      },
      {
        name: 'sub not a string',
        token: () => mint(es, { claims: { sub: 42 } as never }),
        reason: 'invalid_claims',
        detail: 'claim sub',
      },
      {
        name: 'exp not a number',
        token: () => mint(es, { claims: { exp: '9999999999' } as never }),
        reason: 'invalid_claims',
        detail: 'exp',
        subject: USER,
      },
      {
        name: 'groups not an array of strings',
        token: () => mint(es, { claims: { groups: 'admins' } }),
        reason: 'invalid_claims',
        detail: 'claim groups',
        subject: USER,
      },
      {
        name: 'scope not a string',
        token: () => mint(es, { claims: { scope: ['orders:read'] } }),
        reason: 'invalid_claims',
        detail: 'claim scope',
        subject: USER,
      },
      {
        name: 'cnf not an object',
        token: () => mint(es, { claims: { cnf: 'abc' } }),
        reason: 'invalid_claims',
        detail: 'claim cnf',
        subject: USER,
      },
      {
        name: 'a malformed client subject',
        token: () => mint(es, { claims: { sub: 'client:Not A Client' } }),
        reason: 'invalid_claims',
        detail: 'malformed client subject',
        subject: 'client:Not A Client',
      },
      {
        name: 'a client subject naming another client than client_id',
        token: () => mint(es, { claims: { sub: 'client:admin-cli' } }),
        reason: 'invalid_claims',
        detail: 'another client',
        subject: 'client:admin-cli',
      },
      {
        name: 'a bare client id as subject',
        token: () => mint(es, { claims: { sub: 'shop-web' } }),
        reason: 'invalid_claims',
        detail: 'outside the client namespace',
        subject: 'shop-web',
      },
      {
        name: 'a bound token (cnf) without a proof-of-possession check',
        token: () => mint(es, { claims: { cnf: { jkt: 'abc' } } }),
        reason: 'sender_constrained',
        detail: 'bound to a key',
        subject: USER,
      },
      {
        name: 'typ JWT',
        token: () => mint(es, { header: { typ: 'JWT' } }),
        reason: 'wrong_token_type',
        detail: 'typ "JWT" is not at+jwt',
      },
      {
        name: 'typ application/jwt',
        token: () => mint(es, { header: { typ: 'application/jwt' } }),
        reason: 'wrong_token_type',
        detail: 'is not at+jwt',
      },
      {
        name: 'typ missing',
        token: () => mint(es, { header: { typ: undefined } }),
        reason: 'wrong_token_type',
        detail: 'typ header missing',
      },
      ...(
        [
          ['jku', 'https://evil.example/jwks'],
          ['x5u', 'https://evil.example/cert'],
          ['jwk', { kty: 'EC' }],
          ['x5c', ['MIIBfake']],
        ] as const
      ).map(([name, value]) => ({
        name: `${name} header`,
        token: () => mint(es, { header: { [name]: value } }),
        reason: 'key_in_header' as const,
        detail: `${name} header present`,
      })),
      {
        name: 'jwk header carrying the real public key',
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
        detail: 'crit header names unsupported extension(s): urn:x:ext',
      },
      {
        name: 'kid missing',
        token: () => mint(es, { header: { kid: undefined } }),
        reason: 'malformed_token',
        detail: 'kid header missing',
      },
      {
        name: 'kid empty',
        token: () => mint(es, { header: { kid: '' } }),
        reason: 'malformed_token',
        detail: 'kid header missing',
      },
      {
        name: 'kid longer than 256 characters',
        token: () => mint(es, { header: { kid: 'k'.repeat(257) } }),
        reason: 'malformed_token',
        detail: 'kid header longer than 256',
      },
      {
        name: 'kid with path and SQL',
        token: () => mint({ ...ghost, kid: "../../etc/passwd' OR '1'='1" }),
        reason: 'unknown_key',
        detail: 'no key in the issuer key set fits',
      },
      {
        name: 'kid unknown',
        token: () => mint(ghost),
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
        reason: 'bad_signature',
        detail: 'signature verification failed',
      },
      {
        name: 'a token over the size cap',
        token: () => mint(es, { claims: { pad: 'x'.repeat(9000) } }),
        reason: 'malformed_token',
        detail: 'longer than 8192 bytes',
      },
      {
        name: 'a 100 KB token',
        token: () => Promise.resolve('a'.repeat(100 * 1024)),
        reason: 'malformed_token',
        detail: 'longer than 8192',
      },
      {
        name: 'JWE-shaped 5-part token',
        token: () => Promise.resolve(`${b64url({ alg: 'dir', enc: 'A256GCM' })}..aXY.Y2lwaGVy.dGFn`),
        reason: 'malformed_token',
        detail: 'JWE',
      },
      {
        name: 'two segments',
        token: () => Promise.resolve('YQ.YQ'),
        reason: 'malformed_token',
        detail: '2 segments',
      },
      {
        name: 'garbage base64url',
        token: () => Promise.resolve('abc.def.ghi'),
        reason: 'malformed_token',
        detail: 'protected header',
      },
      {
        name: 'characters outside base64url',
        token: () => Promise.resolve('a+b.c/d.e=f'),
        reason: 'malformed_token',
        detail: 'outside base64url',
      },
      { name: 'empty token', token: () => Promise.resolve(''), reason: 'malformed_token', detail: 'empty' },
      {
        name: 'header that is JSON but not an object',
        token: () => Promise.resolve(`${b64url('[1]')}.${b64url('{}')}.c2ln`),
        reason: 'malformed_token',
        detail: 'protected header',
      },
      {
        name: 'a payload that is not JSON, under a valid signature',
        token: async () => {
          const [header] = (await mint(es)).split('.');
          const body = b64url('not json');
          const signature = createSign('sha256')
            .update(`${header ?? ''}.${body}`)
            .sign({ key: KeyObject.from(es.privateKey), dsaEncoding: 'ieee-p1363' })
            .toString('base64url');
          return `${header ?? ''}.${body}.${signature}`;
        },
        reason: 'malformed_token',
        detail: 'JWT',
      },
    ];

    for (const { name, token, reason, detail, subject } of cases) {
      it(`${name}: ${reason}`, async () => {
        await refused(verifyAccessToken(await token(), keys, policy), reason, detail, subject);
      });
    }
  });

  describe('the key source', () => {
    it('a failure of the key source is keys_unavailable, with the failure as its cause', async () => {
      const down = new Error('key store down');
      const failing: AccessTokenKeys = () => Promise.reject(down);
      await assert.rejects(verifyAccessToken(await mint(es), failing, policy), (error: unknown) => {
        assert.ok(error instanceof AccessTokenError);
        assert.equal(error.reason, 'keys_unavailable');
        assert.match(error.detail, /key store down/);
        assert.equal(error.cause, down);
        return true;
      });
    });

    it("a key source's own AccessTokenError goes through as it is", async () => {
      const own = new AccessTokenError('unknown_key', 'kid "es-1" not in the issuer key set (after refresh)');
      const refusing: AccessTokenKeys = () => Promise.reject(own);
      await assert.rejects(verifyAccessToken(await mint(es), refusing, policy), (error) => error === own);
    });

    it('two keys with one kid (a rotation gone wrong) is unknown_key, not a guess', async () => {
      const twin = await makeKey('ES256', 'es-1');
      await refused(
        verifyAccessToken(await mint(es), keySet([es, twin]), policy),
        'unknown_key',
        'more than one key',
      );
    });

    it('a key the source returns for another algorithm does not verify', async () => {
      const edKey = await keySet([ed])({ alg: 'EdDSA', kid: 'ed-1' });
      await refused(
        verifyAccessToken(await mint(es), () => Promise.resolve(edKey), policy),
        'bad_signature',
        'verification failed',
      );
    });

    it('is never asked for a key of a token refused on its header', async () => {
      let asked = 0;
      const counting: AccessTokenKeys = (header) => {
        asked += 1;
        return keys(header);
      };
      const tokens = [
        await mint(rs),
        ...(await Promise.all(
          [{ jku: 'https://evil.example' }, { typ: 'JWT' }, { kid: undefined }].map((header) =>
            mint(es, { header }),
          ),
        )),
      ];
      for (const token of tokens) {
        await assert.rejects(verifyAccessToken(token, counting, policy), AccessTokenError);
      }
      assert.equal(asked, 0);
    });
  });

  describe('policy', () => {
    it('refuses alg none, HS256 and unknown algorithms in the allow-list', () => {
      for (const alg of ['none', 'HS256', 'XS1']) {
        assert.throws(
          () => new AccessTokenPolicy({ issuer: ISSUER, audience: AUDIENCE, algorithms: [alg as 'ES256'] }),
          TypeError,
        );
      }
      assert.throws(
        () => new AccessTokenPolicy({ issuer: ISSUER, audience: AUDIENCE, algorithms: [] }),
        TypeError,
      );
    });

    it('refuses an empty issuer or audience, a skew outside 0–300 s, a size cap under 64', () => {
      const bad = [
        { issuer: '', audience: AUDIENCE },
        { issuer: ISSUER, audience: '' },
        { issuer: ISSUER, audience: AUDIENCE, clockSkewSeconds: -1 },
        { issuer: ISSUER, audience: AUDIENCE, clockSkewSeconds: 301 },
        { issuer: ISSUER, audience: AUDIENCE, clockSkewSeconds: Number.NaN },
        { issuer: ISSUER, audience: AUDIENCE, maxTokenBytes: 63 },
        { issuer: ISSUER, audience: AUDIENCE, maxTokenBytes: 100.5 },
        { issuer: ISSUER, audience: AUDIENCE, requiredType: '' },
      ];
      for (const options of bad)
        assert.throws(() => new AccessTokenPolicy(options), TypeError, JSON.stringify(options));
    });

    it('is frozen, and only a real policy is taken', async () => {
      assert.ok(Object.isFrozen(policy));
      assert.deepEqual(policy.algorithms, ['ES256', 'EdDSA', 'PS256']);
      // What a JavaScript caller could pass: the same members, allowing every algorithm.
      const lookalike: unknown = {
        ...Object.fromEntries(Object.entries(policy)),
        allowsAlgorithm: () => true,
      };
      const token = await mint(es);
      await assert.rejects(async () => {
        const verifying: unknown = Reflect.apply(verifyAccessToken, undefined, [token, keys, lookalike]);
        await verifying;
      }, TypeError);
    });

    it('accepts RS256 only when allowed, and then verifies it', async () => {
      const rsOnly = new AccessTokenPolicy({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] });
      assert.equal((await verifyAccessToken(await mint(rs), keys, rsOnly)).subject, USER);
      await refused(
        verifyAccessToken(await mint(es), keys, rsOnly),
        'algorithm_not_allowed',
        'alg "ES256" not allowed',
      );
    });

    it('honours a smaller size cap and a zero skew', async () => {
      const small = new AccessTokenPolicy({ issuer: ISSUER, audience: AUDIENCE, maxTokenBytes: 100 });
      await refused(
        verifyAccessToken(await mint(es), keys, small),
        'malformed_token',
        'longer than 100 bytes',
      );
      const noSkew = new AccessTokenPolicy({ issuer: ISSUER, audience: AUDIENCE, clockSkewSeconds: 0 });
      await refused(
        verifyAccessToken(await mint(es, { claims: { exp: now() - 1, iat: now() - 60 } }), keys, noSkew),
        'token_expired',
        'claim exp',
        USER,
      );
    });

    it('checkAccessTokenShape is step 1 alone: it decodes nothing', async () => {
      checkAccessTokenShape(await mint(es), policy);
      checkAccessTokenShape('abc.def.ghi', policy); // well-shaped garbage: refused later, by verifyAccessToken
      for (const token of ['', 'a.b', 'a.b.', 'a.b.c.d.e', 'a'.repeat(8193)]) {
        assert.throws(
          () => {
            checkAccessTokenShape(token, policy);
          },
          (error: unknown) => {
            assert.ok(error instanceof AccessTokenError);
            assert.equal(error.reason, 'malformed_token');
            return true;
          },
        );
      }
    });
  });
});

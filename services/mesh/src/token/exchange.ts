import type { RampartConfig } from '@rampart/config';
import { INTERNAL_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from '@rampart/mesh';
import {
  MAX_ACT_DEPTH,
  MAX_TOKEN_LIFETIME_SECONDS,
  signInternalToken,
  verifyInternalToken,
  type InternalActor,
} from '@rampart/tokens';
import { isDeclaredService, mayCall } from '../config.ts';
import type { OAuthErrorCode } from '../http/oauth-error.ts';
import type { MeshContext } from '../context.ts';

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

  // v4.public carries no key id: each trusted signer is tried (the gateway's and the mesh's own).
  const verified = await verifyInternalToken(request.subjectToken, {
    publicKeys: keys.subjectTokenKeys,
    audience: caller,
    now: new Date(nowMs),
  });
  if (!verified.ok) return { ok: false, error: 'invalid_grant', reason: `subject token: ${verified.detail}` };
  const claims = verified.token;
  // Within the skew a service still accepts it, but nothing is left to exchange.
  if (claims.expiresAtMs <= nowMs)
    return { ok: false, error: 'invalid_grant', reason: 'subject token expired' };
  if (claims.act !== undefined && depth(claims.act) >= MAX_ACT_DEPTH) {
    return { ok: false, error: 'invalid_grant', reason: 'act chain too long' };
  }

  const issuedAtMs = Math.floor(nowMs / 1000) * 1000;
  const exp = Math.min(claims.expiresAtMs, issuedAtMs + MAX_TOKEN_LIFETIME_SECONDS * 1000);
  const act: InternalActor = claims.act === undefined ? { sub: caller } : { sub: caller, act: claims.act };
  const token = await signInternalToken(keys.tokenKeys.secretKey, {
    sub: claims.sub,
    aud: audience,
    ...(claims.scope === undefined ? {} : { scope: claims.scope }),
    ...(claims.groups === undefined ? {} : { groups: claims.groups }),
    ...(claims.amr === undefined ? {} : { amr: claims.amr }),
    act,
    issuedAt: new Date(issuedAtMs),
    expiresAt: new Date(exp),
  });
  return {
    ok: true,
    token,
    expiresIn: Math.max(1, Math.floor((exp - nowMs) / 1000)),
    audience,
    subject: claims.sub,
  };
}

function depth(actor: InternalActor): number {
  return actor.act === undefined ? 1 : 1 + depth(actor.act);
}

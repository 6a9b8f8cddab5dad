import { PublicProtocol, type JsonValue } from 'paseto';
import { SignFactory, type SecretKey } from 'paseto/v4/public';
import { INTERNAL_TOKEN_ISSUER } from './internal-token-policy.ts';

const v4 = new PublicProtocol(SignFactory);

/** The `act` claim (RFC 8693 §4.1): the service that called, and whoever called it. */
export interface InternalActor {
  readonly sub: string;
  readonly act?: InternalActor;
}

/** What an internal token says. Optional lists are left out of the token when undefined. */
export interface InternalTokenContent {
  /** The principal: a user's account id, or `client:<client id>`. */
  readonly sub: string;
  /** The one service the token is for. */
  readonly aud: string;
  /** Space-separated scopes. */
  readonly scope?: string;
  readonly groups?: readonly string[];
  readonly amr?: readonly string[];
  /** No `act` means the gateway forwarded the request; set by the mesh's token exchange. */
  readonly act?: InternalActor;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** Always `rampart` in production; tests override it to make tokens services must refuse. */
  readonly iss?: string;
}

/**
 * Signs a PASETO v4.public internal token with claims `iss`, `sub`, `aud`, `scope`, `groups`,
 * `amr`, `act`, `iat` and `exp`, in that order, and nothing else. No `jti`: a token is short-lived
 * and good for one audience only, so one signature may serve every request of a principal to a
 * service. The caller chooses the lifetime; verifiers refuse more than 5 minutes. `iat` and `exp`
 * are RFC 3339 in whole seconds (a fraction is dropped).
 *
 * @example
 * const token = await signInternalToken(secretKey, { sub: 'alice', aud: 'orders', issuedAt, expiresAt });
 */
export async function signInternalToken(key: SecretKey, content: InternalTokenContent): Promise<string> {
  return v4.Sign(
    key,
    {
      iss: content.iss ?? INTERNAL_TOKEN_ISSUER,
      sub: content.sub,
      aud: content.aud,
      ...(content.scope === undefined ? {} : { scope: content.scope }),
      ...(content.groups === undefined ? {} : { groups: [...content.groups] }),
      ...(content.amr === undefined ? {} : { amr: [...content.amr] }),
      ...(content.act === undefined ? {} : { act: actorClaim(content.act) }),
      iat: rfc3339(content.issuedAt),
      exp: rfc3339(content.expiresAt),
    },
    { addIssuedAt: false },
  );
}

/** RFC 3339 in whole seconds, as `paseto` writes the dates it sets itself (`2030-01-01T00:00:00Z`). */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/u, 'Z');
}

function actorClaim(actor: InternalActor): JsonValue {
  return actor.act === undefined ? { sub: actor.sub } : { sub: actor.sub, act: actorClaim(actor.act) };
}

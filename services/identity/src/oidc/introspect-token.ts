import type { AccessToken, ClientCredentials, Provider } from 'oidc-provider';
import { clientSubject } from '@rampart/config';
import type { AccountStore } from '../accounts/index.ts';
import type { IdentitySettings } from '../settings.ts';
import { names } from './own-access-tokens.ts';

/**
 * The shape of oidc-provider's opaque tokens: `nanoid` of 256 random bits (its default
 * `formats.bitsOfOpaqueRandomness`), 43 characters of the URL-safe alphabet. Anything else is not
 * one of our opaque tokens and is answered inactive without touching the store.
 */
export const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** What introspection needs of identity. `Identity` is one. */
export interface IntrospectionSource {
  provider(): Provider;
  readonly settings: Pick<IdentitySettings, 'apiAudience'>;
  readonly accounts: Pick<AccountStore, 'findById'>;
}

/** RFC 7662 §2.2 for a token that is not usable at the gateway, whatever the reason. */
export interface InactiveToken {
  readonly active: false;
}

/**
 * RFC 7662 §2.2 for a usable token, with what the gateway's access-token claims need — the same
 * facts an RFC 9068 JWT of the same grant carries. No `jti`: an opaque token's id is the token.
 */
export interface ActiveToken {
  readonly active: true;
  readonly iss: string;
  /** The user's id, or `client:<id>` for a client's own token (as in a JWT access token). */
  readonly sub: string;
  readonly client_id: string;
  /** The gateway's origin, and the userinfo endpoint for a token granted `openid`. */
  readonly aud: string | readonly string[];
  readonly scope?: string;
  readonly exp: number;
  readonly iat: number;
  readonly token_type: string;
  readonly groups?: readonly string[];
  readonly amr?: readonly string[];
  readonly acr?: string;
  readonly auth_time?: number;
  /** The grant (token family), for the gateway's revocation-feed check. */
  readonly gid?: string;
  /** RFC 7800 confirmation: the DPoP key (`jkt`) or certificate (`x5t#S256`) it is bound to. */
  readonly cnf?: Readonly<Record<string, string>>;
}

export type IntrospectionAnswer = InactiveToken | ActiveToken;

const INACTIVE: InactiveToken = Object.freeze({ active: false });

/**
 * Says whether `value` is a live opaque access token for the gateway's audience, looking it up
 * with oidc-provider's own models — so expiry and the session binding are its rules — then
 * applying the checks its introspection endpoint makes (the grant still exists, unexpired, for the
 * same client and account) and two of ours: the client is still registered, and the account still
 * exists and is not disabled. Refresh tokens, codes and JWTs are never active here.
 *
 * @example
 * const answer = await introspectToken(identity, token); // { active: false } or the claims
 */
export async function introspectToken(
  source: IntrospectionSource,
  value: string,
): Promise<IntrospectionAnswer> {
  if (!OPAQUE_TOKEN.test(value)) return INACTIVE;
  const provider = source.provider();
  const token: AccessToken | ClientCredentials | undefined =
    (await provider.AccessToken.find(value)) ?? (await provider.ClientCredentials.find(value));
  if (token === undefined || !token.isValid || token.exp === undefined) return INACTIVE;
  if (token.aud === undefined || !names(token.aud, source.settings.apiAudience)) return INACTIVE;
  const audience = token.aud;
  const clientId = token.clientId;
  if (clientId === undefined || (await provider.Client.find(clientId)) === undefined) return INACTIVE;
  const accountId = token.kind === 'AccessToken' ? token.accountId : undefined;
  const grantId = token.kind === 'AccessToken' ? token.grantId : undefined;
  if (grantId !== undefined) {
    const grant = await provider.Grant.find(grantId, { ignoreExpiration: true });
    if (
      grant === undefined ||
      grant.isExpired ||
      grant.clientId !== clientId ||
      grant.accountId !== accountId
    )
      return INACTIVE;
  }
  if (accountId !== undefined) {
    const account = await source.accounts.findById(accountId);
    if (account === undefined || account.disabled) return INACTIVE;
  }
  return {
    active: true,
    iss: provider.issuer,
    sub: accountId ?? clientSubject(clientId),
    client_id: clientId,
    aud: audience,
    ...(token.scope === undefined || token.scope === '' ? {} : { scope: token.scope }),
    exp: token.exp,
    iat: token.iat,
    token_type: token.tokenType,
    ...extraClaims(token.extra),
    ...(grantId === undefined ? {} : { gid: grantId }),
    ...confirmation(token),
  };
}

/**
 * The sign-in facts `extraTokenClaims` stored with the token when it was issued (see provider.ts):
 * groups, amr, acr, auth_time — picked by name and type, never spread, so nothing else leaks.
 */
function extraClaims(
  extra: Readonly<Record<string, unknown>> | undefined,
): Pick<ActiveToken, 'groups' | 'amr' | 'acr' | 'auth_time'> {
  if (extra === undefined) return {};
  const { groups, amr, acr, auth_time: authTime } = extra;
  return {
    ...(isStringList(groups) ? { groups: [...groups] } : {}),
    ...(isStringList(amr) ? { amr: [...amr] } : {}),
    ...(typeof acr === 'string' ? { acr } : {}),
    ...(typeof authTime === 'number' ? { auth_time: authTime } : {}),
  };
}

function confirmation(token: AccessToken | ClientCredentials): Pick<ActiveToken, 'cnf'> {
  if (token.jkt !== undefined) return { cnf: { jkt: token.jkt } };
  const x5t = token['x5t#S256'];
  return x5t === undefined ? {} : { cnf: { 'x5t#S256': x5t } };
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

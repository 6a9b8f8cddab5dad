import { errors, type Client, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { Revocations } from './revocations.ts';
import { isCompactJws, type OwnAccessToken } from './own-access-tokens.ts';

/** Whether `client` may learn about `token` (introspection). */
export type TokenPolicy = (ctx: KoaContextWithOIDC, client: Client, token: OwnAccessToken) => boolean;

export interface EndpointConformanceOptions {
  /** Identity's own JWT access tokens, verified and rebuilt as oidc-provider models. */
  readonly fromJwt: (value: unknown) => Promise<OwnAccessToken | undefined>;
  readonly revocations: Pick<Revocations, 'covers' | 'revokeSubject'>;
  readonly introspectionAllowed: TokenPolicy;
}

/** An answer of oidc-provider replaced by the one the RFCs require. */
export interface Correction {
  readonly status: number;
  readonly error: string;
  readonly description: string;
}

/** What this layer makes of an error oidc-provider raised while serving a request. */
export type Verdict =
  | { readonly kind: 'corrected'; readonly correction: Correction }
  /** A JWT access token at introspection or revocation: answered here, not an error at all. */
  | { readonly kind: 'own-token' }
  | undefined;

type Route = 'token' | 'introspection' | 'revocation';
const ROUTES: ReadonlySet<string> = new Set<Route>(['token', 'introspection', 'revocation']);

const UNAUTHENTICATED: Correction = {
  status: 401,
  error: 'invalid_client',
  description: 'client authentication failed',
};

const FOREIGN_TOKEN: Correction = {
  status: 400,
  error: 'invalid_request',
  description: 'client is not authorized to revoke the presented token',
};

/**
 * Corrects oidc-provider where its answers depart from the RFCs, around its router (a Koa
 * middleware: it sees each request after oidc-provider has authenticated the client):
 *
 * - token endpoint: a grant type the client is not registered for is `unauthorized_client`
 *   (RFC 6749 §5.2), not `invalid_request`;
 * - introspection and revocation without any client authentication, and introspection by a public
 *   client, are 401 `invalid_client` (RFC 7662 §2.1 requires authorization, RFC 7009 §2.1 client
 *   authentication), not 400 `invalid_request` or an inactive answer;
 * - identity's own JWT access tokens are introspected (RFC 7662: `{"active": true, …}` or
 *   `{"active": false}`) and revoked (RFC 7009: 200, and the token's grant — or for a
 *   client-credentials token, the client as subject — goes on the revocation feed the gateways
 *   follow), where oidc-provider refuses every JWT with `unsupported_token_type`.
 *
 * The errors it replaces are told apart by their class and the request, never by their text.
 */
export function conformEndpoints(provider: Provider, options: EndpointConformanceOptions): void {
  const raised = new WeakMap<object, unknown>();
  const on = provider.on.bind(provider) as (event: string, listener: (...args: never[]) => void) => void;
  for (const route of ['grant', 'introspection', 'revocation']) {
    on(`${route}.error`, (ctx: KoaContextWithOIDC, error: unknown) => {
      raised.set(ctx, error);
    });
  }
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as Partial<KoaContextWithOIDC>).oidc;
    const route = oidc?.route;
    if (oidc === undefined || route === undefined || !ROUTES.has(route)) return;
    const context = ctx as KoaContextWithOIDC;
    const verdict = judge(context, raised.get(ctx));
    if (verdict?.kind === 'corrected') {
      respond(context, verdict.correction);
    } else if (verdict?.kind === 'own-token') {
      await answerOwnToken(context, route as 'introspection' | 'revocation', options);
    } else if (route === 'introspection' && ctx.status === 200 && isPublic(oidc.client)) {
      refusePublicIntrospection(context);
    }
  });
}

/**
 * What an oidc-provider error becomes here (see {@link conformEndpoints}); also read by the
 * security events, so that they record the error the client was actually given.
 */
export function judge(ctx: KoaContextWithOIDC, error: unknown): Verdict {
  const { route, params, client } = ctx.oidc;
  if (route === 'token' && error instanceof errors.InvalidRequest) {
    const grantType = params?.['grant_type'];
    if (client !== undefined && typeof grantType === 'string' && !client.grantTypeAllowed(grantType)) {
      return {
        kind: 'corrected',
        correction: {
          status: 400,
          error: 'unauthorized_client',
          description: 'the client is not registered for this grant type',
        },
      };
    }
    return undefined;
  }
  if (route !== 'introspection' && route !== 'revocation') return undefined;
  if (error instanceof errors.InvalidRequest && client === undefined && !presentsClient(ctx)) {
    return { kind: 'corrected', correction: UNAUTHENTICATED };
  }
  if (
    error instanceof errors.UnsupportedTokenType &&
    client !== undefined &&
    isCompactJws(params?.['token'])
  ) {
    return isPublic(client) && route === 'introspection'
      ? { kind: 'corrected', correction: UNAUTHENTICATED }
      : { kind: 'own-token' };
  }
  return undefined;
}

/** Whether the request names a client at all: credentials in a header, or any client parameter. */
function presentsClient(ctx: KoaContextWithOIDC): boolean {
  const { params } = ctx.oidc;
  return (
    ctx.get('authorization') !== '' ||
    ['client_id', 'client_secret', 'client_assertion'].some((name) => params?.[name] !== undefined)
  );
}

function isPublic(client: Client | undefined): boolean {
  return client?.clientAuthMethod === 'none';
}

function respond(ctx: KoaContextWithOIDC, correction: Correction): void {
  ctx.status = correction.status;
  ctx.type = 'json';
  ctx.body = { error: correction.error, error_description: correction.description };
  if (correction.status === 401) ctx.set('www-authenticate', `Basic realm="${ctx.oidc.provider.issuer}"`);
}

/** RFC 7662 §2.1: introspection needs an authorized (so, authenticated) client. */
function refusePublicIntrospection(ctx: KoaContextWithOIDC): void {
  respond(ctx, UNAUTHENTICATED);
  ctx.oidc.provider.emit('introspection.error', ctx, new errors.InvalidClientAuth('public client'));
}

async function answerOwnToken(
  ctx: KoaContextWithOIDC,
  route: 'introspection' | 'revocation',
  options: EndpointConformanceOptions,
): Promise<void> {
  const client = ctx.oidc.client;
  if (client === undefined) return;
  const token = await options.fromJwt(ctx.oidc.params?.['token']);
  ctx.status = 200;
  if (route === 'introspection') {
    ctx.type = 'json';
    ctx.body = await introspection(ctx, client, token, options);
    return;
  }
  ctx.body = '';
  if (token === undefined || !token.isValid) return;
  if (token.clientId !== client.clientId) {
    // oidc-provider's rule for the tokens it stores: a client revokes its own tokens only.
    if (!isPublic(client)) respond(ctx, FOREIGN_TOKEN);
    return;
  }
  const { provider } = ctx.oidc;
  if (token.kind === 'AccessToken') {
    // The whole family, as oidc-provider does for a stored access token: every token of the grant
    // and the grant itself; the store adapter puts the grant on the feed the gateways follow.
    await provider.AccessToken.revokeByGrantId(token.grantId);
    provider.emit('access_token.destroyed', token);
    provider.emit('grant.revoked', ctx, token.grantId);
  } else {
    // A client-credentials token has no grant: its subject is the client, so the client's
    // client-credentials tokens issued until now are refused; it obtains a new one with its secret.
    await options.revocations.revokeSubject(client.clientId);
    provider.emit('client_credentials.destroyed', token);
  }
}

/** RFC 7662 §2.2, with oidc-provider's checks for a stored token and the gateway's feed. */
async function introspection(
  ctx: KoaContextWithOIDC,
  client: Client,
  token: OwnAccessToken | undefined,
  options: EndpointConformanceOptions,
): Promise<Record<string, unknown>> {
  const inactive = { active: false };
  if (token === undefined || !token.isValid || token.clientId === undefined) return inactive;
  const accountId = token.kind === 'AccessToken' ? token.accountId : undefined;
  const grantId = token.kind === 'AccessToken' ? token.grantId : undefined;
  if (grantId !== undefined) {
    const grant = await ctx.oidc.provider.Grant.find(grantId, { ignoreExpiration: true });
    if (grant === undefined || grant.isExpired) return inactive;
    if (grant.clientId !== token.clientId || grant.accountId !== accountId) return inactive;
  }
  if (!options.introspectionAllowed(ctx, client, token)) return inactive;
  const subject = accountId ?? token.clientId;
  const revoked = await options.revocations.covers({
    ...(grantId === undefined ? {} : { grantId }),
    subject,
    clientId: token.clientId,
    issuedAt: token.iat,
  });
  if (revoked) return inactive;
  const cnf = {
    ...(token.jkt === undefined ? {} : { jkt: token.jkt }),
    ...(token['x5t#S256'] === undefined ? {} : { 'x5t#S256': token['x5t#S256'] }),
  };
  return {
    ...token.extra,
    active: true,
    iss: ctx.oidc.provider.issuer,
    sub: subject,
    client_id: token.clientId,
    aud: token.aud,
    ...(token.scope === undefined || token.scope === '' ? {} : { scope: token.scope }),
    exp: token.exp,
    iat: token.iat,
    jti: token.jti,
    token_type: token.tokenType,
    ...(Object.keys(cnf).length === 0 ? {} : { cnf }),
  };
}

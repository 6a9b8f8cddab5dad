import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Logger, SecurityEventInput, SecurityEvents } from '@rampart/sdk';
import { judge } from './endpoint-conformance.ts';

/** Grant types and OAuth error codes as event reasons: lower_snake words, nothing attacker-chosen. */
const GRANT_REASONS: Readonly<Record<string, string>> = {
  authorization_code: 'authorization_code',
  client_credentials: 'client_credentials',
  refresh_token: 'refresh_token',
  'urn:ietf:params:oauth:grant-type:token-exchange': 'token_exchange',
};
const OAUTH_ERROR = /^[a-z]+(?:_[a-z]+)*$/;

/**
 * Turns oidc-provider's events into Rampart security events: tokens issued, refreshed and refused,
 * grants revoked, tokens revoked, sign-outs, and internal errors (logged, never shown). Subjects
 * are pseudonymized by the emitter; no token, code or secret is ever part of an event.
 */
export function forwardProviderEvents(provider: Provider, events: SecurityEvents, log: Logger): void {
  const emit = (input: SecurityEventInput): void => {
    events.emit(input);
  };
  // The typings list each event's listener; these are subscribed by computed name.
  const on = provider.on.bind(provider) as (event: string, listener: (...args: never[]) => void) => void;
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const param = ctx.oidc.params?.['grant_type'];
    const grantType = typeof param === 'string' ? param : '';
    const reason = GRANT_REASONS[grantType] ?? 'other_grant';
    if (grantType === 'refresh_token') {
      emit({ event: 'token.refreshed', outcome: 'success', reason, ...subjectOf(ctx), ...peerOf(ctx) });
    } else {
      emit({ event: 'token.issued', outcome: 'success', reason, ...subjectOf(ctx), ...peerOf(ctx) });
    }
  });
  // One literal event name per endpoint (docs/events.md is checked against these literals).
  const refusals = [
    { route: 'grant', event: 'token.refused' },
    { route: 'introspection', event: 'introspection.refused' },
    { route: 'revocation', event: 'revocation.refused' },
    { route: 'userinfo', event: 'userinfo.refused' },
    { route: 'end_session', event: 'logout.refused' },
    { route: 'authorization', event: 'authorization.refused' },
  ] as const;
  for (const { route, event } of refusals) {
    on(`${route}.error`, (ctx: KoaContextWithOIDC, error: { error?: string }) => {
      // The error the client was given, where endpoint-conformance.ts corrects oidc-provider's;
      // a JWT access token at introspection or revocation is answered there, not refused.
      const verdict = judge(ctx, error);
      if (verdict?.kind === 'own-token') return;
      const code = verdict?.kind === 'corrected' ? verdict.correction.error : error.error;
      emit({
        event,
        outcome: 'failure',
        reason: typeof code === 'string' && OAUTH_ERROR.test(code) ? code : 'invalid_request',
        ...peerOf(ctx),
      });
    });
  }
  provider.on('grant.revoked', () => {
    emit({ event: 'grant.revoked', outcome: 'success', reason: 'grant_revoked' });
  });
  for (const kind of ['access_token', 'client_credentials', 'refresh_token'] as const) {
    on(`${kind}.destroyed`, (token: { accountId?: string; clientId?: string }) => {
      emit({
        event: 'token.revoked',
        outcome: 'success',
        reason: kind,
        ...(token.accountId === undefined ? {} : { subject: token.accountId }),
      });
    });
  }
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    emit({ event: 'session.ended', outcome: 'success', reason: 'logout', ...subjectOf(ctx) });
  });
  provider.on('server_error', (_ctx: KoaContextWithOIDC, error: Error) => {
    log.error({ err: error }, 'identity: internal error while serving an OAuth request');
  });
}

function subjectOf(ctx: KoaContextWithOIDC): { subject?: string } {
  const accountId = ctx.oidc.entities.Account?.accountId ?? ctx.oidc.session?.accountId;
  return accountId === undefined ? {} : { subject: accountId };
}

/** The OAuth client, when its id is a safe identifier (the event shape refuses anything else). */
function peerOf(ctx: KoaContextWithOIDC): { peer?: string } {
  const clientId = ctx.oidc.client?.clientId;
  return clientId !== undefined && /^[a-z][a-z0-9-]{0,62}$/.test(clientId) ? { peer: clientId } : {};
}

import { report, send, type ProbeContext } from '../context.ts';
import { grantedScopes } from '../credentials.ts';
import { served } from '../target.ts';
import type { Reference } from './authentication.ts';

/**
 * Identity headers without a token on the reference route: a gateway (or a service behind one
 * that forwards them) must not believe a client that says who it is.
 */
export async function checkIdentityHeaders(
  ctx: ProbeContext,
  reference: Reference | undefined,
): Promise<void> {
  if (reference === undefined) return;
  ctx.progress('headers: identity headers without a token');
  const claims = ctx.credentials.userA.claims;
  const subject = typeof claims?.['sub'] === 'string' ? claims['sub'] : 'rampart-probe-user';
  const scopes = grantedScopes(claims).join(' ') || 'openid';
  const sets: [string, Record<string, string>][] = [
    ['x-user-id', { 'x-user-id': subject }],
    ['x-forwarded-user', { 'x-forwarded-user': subject }],
    ['x-remote-user', { 'x-remote-user': subject }],
    ['x-auth-request-user', { 'x-auth-request-user': subject }],
    ['x-authenticated-userid', { 'x-authenticated-userid': subject }],
    [
      'x-rampart',
      { 'x-rampart-subject': subject, 'x-rampart-scopes': scopes, 'x-rampart-caller': 'gateway' },
    ],
  ];
  for (const [variant, headers] of sets) {
    const answer = await send(ctx, { method: 'GET', path: reference.path, headers });
    if (served(answer))
      report(ctx, 'probe/header-identity-spoofing', answer, {
        route: reference.route,
        variant,
        message: `GET ${reference.path} answered ${answer.status} without a token, given ${Object.keys(headers).join(', ')} naming user A.`,
      });
  }
}

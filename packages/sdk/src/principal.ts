import type { PrincipalKind } from '@rampart/config';
import { RampartError } from '@rampart/errors';

export type { PrincipalKind } from '@rampart/config';

/**
 * Who a request acts for, taken from a verified internal token. Frozen: a handler can read it but
 * never widen it.
 */
export interface Principal {
  /**
   * The token's `sub`: a user's id, or `client:<client id>` when a client acts for itself (client
   * credentials). The two kinds never share a subject, so keying data by `subject` is safe: a
   * client can never read or write a user's data by choosing its id.
   */
  readonly subject: string;
  /** Which kind of principal {@link Principal.subject} names: a `user` or a `client`. */
  readonly kind: PrincipalKind;
  /** The token's `scope`, split on spaces. */
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  /** Authentication methods (RFC 8176), e.g. `pwd`, `otp`, `hwk`. */
  readonly amr: readonly string[];
  /** The token's `act.sub` (RFC 8693): the service acting for the user, if any. */
  readonly actor: string | undefined;
}

/** Builds a deeply frozen principal. */
export function freezePrincipal(principal: Principal): Principal {
  return Object.freeze({
    subject: principal.subject,
    kind: principal.kind,
    scopes: Object.freeze([...principal.scopes]),
    groups: Object.freeze([...principal.groups]),
    amr: Object.freeze([...principal.amr]),
    actor: principal.actor,
  });
}

/**
 * Throws `SDK_FORBIDDEN` unless the principal holds every required scope.
 *
 * @example
 * requireScopes(request.principal, ['orders:read']);
 */
export function requireScopes(principal: Principal, required: readonly string[]): void {
  const missing = required.filter((scope) => !principal.scopes.includes(scope));
  if (missing.length > 0) {
    throw new RampartError('SDK_FORBIDDEN', { detail: `missing scope(s): ${missing.join(' ')}` });
  }
}

/**
 * Throws `SDK_FORBIDDEN` unless the request acts for a user — for handlers that serve people only
 * (a profile, a cart), whatever scopes a client's own token carries.
 *
 * @example
 * requireUser(request.principal);
 * const profile = await store.get('SELECT * FROM profiles WHERE subject = ?', [request.principal.subject]);
 */
export function requireUser(principal: Principal): void {
  if (principal.kind !== 'user') {
    throw new RampartError('SDK_FORBIDDEN', { detail: `a ${principal.kind} may not use this route` });
  }
}

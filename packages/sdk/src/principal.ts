import { RampartError } from '@rampart/errors';

/**
 * The end user a request acts for, taken from a verified internal token. Frozen: a handler can
 * read it but never widen it.
 */
export interface Principal {
  /** The token's `sub`: a stable user (or client) identifier. */
  readonly subject: string;
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

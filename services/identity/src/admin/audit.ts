import type { SecurityEvents } from '@rampart/sdk';
import type { AdminError } from './admin-error.ts';
import type { AdminPrincipal } from './authenticate.ts';

/** The security events of the admin API, one per kind of change (`<entity>.<past_verb>`). */
export type AdminEvent =
  | 'admin.user_created'
  | 'admin.user_updated'
  | 'admin.user_deleted'
  | 'admin.password_reset'
  | 'admin.mfa_removed'
  | 'admin.sessions_revoked'
  | 'admin.group_changed'
  | 'admin.client_created'
  | 'admin.client_secret_rotated'
  | 'admin.client_updated'
  | 'admin.client_deleted'
  | 'admin.keys_rotated';

/**
 * Records a change made through the admin API, with the acting admin as the subject (written as
 * its pseudonym). `reason` is a lower_snake code saying what changed; never a value the caller
 * sent, and never a password, secret, e-mail or token.
 *
 * @example
 * audit(identity.events, call.admin, 'admin.group_changed', 'member_added');
 */
export function audit(
  events: SecurityEvents,
  admin: AdminPrincipal,
  event: AdminEvent,
  reason = 'admin_api',
): void {
  events.emit({ event, outcome: 'success', reason, subject: admin.userId });
}

/** Records a refused call (`admin.denied`), with the verified subject when there is one. */
export function auditDenied(events: SecurityEvents, refusal: AdminError): void {
  if (refusal.deny === undefined) return;
  events.emit({
    event: 'admin.denied',
    outcome: 'failure',
    reason: refusal.deny,
    ...(refusal.subject === undefined ? {} : { subject: refusal.subject }),
  });
}

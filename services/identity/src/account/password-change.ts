import { AccountError } from '../accounts/index.ts';
import { csrfInput, passwordAttributes, PASSWORD_FIELD_MAX } from '../pages/form-parts.ts';
import { html, page, type SafeHtml } from '../pages/layout.ts';
import { field } from '../pages/request-body.ts';
import { sendPage } from '../pages/respond.ts';
import type { AccountRequest } from './account-request.ts';
import { endAllSessions } from './sessions.ts';

/** Longest password read from the form (the policy allows 128 characters; bytes may be more). */

/** The "Password" section of the account page. */
export function passwordSection(request: AccountRequest, error?: string): SafeHtml {
  const { base, csrf } = request;
  const describedBy = error === undefined ? '' : 'password-error';
  return html`<section aria-labelledby="password-heading">
    <h2 id="password-heading">Password</h2>
    ${error === undefined ? html`` : html`<p id="password-error" class="error" role="alert">${error}</p>`}
    <form method="post" action="${base}/password">
      ${csrfInput(csrf)}
      <input
        type="text"
        name="username"
        autocomplete="username"
        value="${request.account.user.username}"
        hidden
        readonly
      />
      <label for="current-password">Current password</label>
      <input
        id="current-password"
        name="current_password"
        ${passwordAttributes('current')}
        required
        aria-describedby="${describedBy}"
      />
      <label for="new-password">New password (at least 12 characters)</label>
      <input id="new-password" name="new_password" ${passwordAttributes('new')} required />
      <label for="confirm-password">New password, again</label>
      <input id="confirm-password" name="confirm_password" ${passwordAttributes('new')} required />
      <button type="submit">Change password</button>
    </form>
    <p class="muted">Changing it signs you out everywhere, this browser included.</p>
  </section>`;
}

/**
 * `POST /account/password`: the current password again (ASVS V6.2.3: proof of the old one, counted
 * by the brute-force guard like a sign-in), the new one twice and through the policy; then every
 * session and grant of the account ends and the gateways refuse its access tokens.
 */
export async function changePassword(request: AccountRequest, form: URLSearchParams): Promise<void> {
  const { identity } = request;
  const { user } = request.account;
  const current = field(form, 'current_password', PASSWORD_FIELD_MAX) ?? '';
  const next = field(form, 'new_password', PASSWORD_FIELD_MAX) ?? '';
  const again = field(form, 'confirm_password', PASSWORD_FIELD_MAX) ?? '';
  const guard = await identity.bruteForce.check({ username: user.username, ip: request.ip });
  if (!guard.allowed) {
    request.res.setHeader('retry-after', String(guard.retryAfterSeconds));
    identity.events.emit({
      event: 'login.locked_out',
      outcome: 'failure',
      reason: guard.reason,
      subject: user.id,
    });
    fail(request, 429, 'Too many attempts. Try again later.');
    return;
  }
  const check = await identity.accounts.verifyCredentials(user.username, current);
  if (!check.ok) {
    await identity.bruteForce.failed({ username: user.username, ip: request.ip });
    identity.events.emit({
      event: 'login.failed',
      outcome: 'failure',
      reason: 'bad_credentials',
      subject: user.id,
    });
    fail(request, 401, 'The current password is incorrect.');
    return;
  }
  await identity.bruteForce.succeeded({ username: user.username, ip: request.ip });
  if (next !== again) {
    fail(request, 400, 'The two new passwords are not the same.');
    return;
  }
  try {
    await identity.accounts.setPassword(user.id, next);
  } catch (error) {
    if (error instanceof AccountError && error.code === 'weak_password') {
      fail(request, 400, error.policy?.message ?? error.message);
      return;
    }
    throw error;
  }
  identity.events.emit({
    event: 'password.changed',
    outcome: 'success',
    reason: 'self_service',
    subject: user.id,
  });
  await endAllSessions(identity, user.id);
  sendPage(
    request.res,
    200,
    page({
      mountPath: identity.settings.mountPath,
      title: 'Password changed',
      body: html`<p>
        Your password was changed and you are signed out everywhere. Sign in again with the new one.
      </p>`,
    }),
  );
}

function fail(request: AccountRequest, status: number, error: string): void {
  sendPage(
    request.res,
    status,
    page({
      mountPath: request.identity.settings.mountPath,
      title: 'Change your password',
      body: passwordSection(request, error),
    }),
  );
}

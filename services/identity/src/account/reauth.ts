import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IdentityContext } from '../app.ts';
import { sendJson } from '../http/router.ts';
import { authenticationMethods } from '../interaction/authentication-methods.ts';
import { secondFactorsOf } from '../interaction/mfa-policy.ts';
import { guardedSecondFactor } from '../interaction/second-factor-guard.ts';
import {
  autofocusWhen,
  csrfInput,
  errorMessage,
  invalidWhen,
  passkeyButton,
  passwordAttributes,
  PASSWORD_FIELD_MAX,
} from '../pages/form-parts.ts';
import { html, page } from '../pages/layout.ts';
import { field } from '../pages/request-body.ts';
import { seeOther, sendPage } from '../pages/respond.ts';
import { parseAuthenticationAnswer } from '../pages/webauthn-json.ts';
import type { AccountRequest } from './account-request.ts';
import { recordReauthentication } from './account-session.ts';

const ERROR_ID = 'reauth-error';
const WRONG = 'That did not match. Check your password and code, and try again.';

/** Which ways a user can confirm it is them: password (+ TOTP when on), or a passkey. */
function reauthMethods(
  identity: IdentityContext,
  request: AccountRequest,
): { password: boolean; totp: boolean; passkey: boolean } {
  const factors = secondFactorsOf(identity.settings, request.account.user);
  // With passkeys but no TOTP, a password alone would be weaker than the user's sign-in.
  return { password: factors.totp || !factors.passkey, totp: factors.totp, passkey: factors.passkey };
}

/**
 * "Confirm it's you": the account pages show and change security settings only within
 * RECENT_AUTH_SECONDS of a sign-in. This re-checks the same factors a sign-in would ask for.
 */
export function renderReauthPage(request: AccountRequest, error?: string): string {
  const { identity, base, csrf } = request;
  const methods = reauthMethods(identity, request);
  const invalid = invalidWhen(ERROR_ID, error);
  const form = methods.password
    ? html`<form method="post" action="${base}/reauth">
        ${csrfInput(csrf)}${errorMessage(ERROR_ID, error)}
        <input
          type="text"
          name="username"
          autocomplete="username"
          value="${request.account.user.username}"
          hidden
          readonly
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          ${passwordAttributes('current')}
          required${invalid}${autofocusWhen(true)}
        />
        ${methods.totp ? html`<label for="code">Code from your authenticator app</label><input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9 ]*" autocomplete="one-time-code" maxlength="8" required${invalid} />` : html``}
        <button type="submit">Confirm</button>
      </form>`
    : html``;
  const passkey = methods.passkey
    ? html`${methods.password ? html`<p class="divider" aria-hidden="true">or</p>` : html``}${passkeyButton({
        mode: 'get',
        label: 'Confirm with a passkey',
        optionsUrl: `${base}/reauth/passkey/options`,
        verifyUrl: `${base}/reauth/passkey/verify`,
        csrf,
        statusId: 'passkey-status',
        secondary: methods.password,
      })}`
    : html``;
  return page({
    mountPath: identity.settings.mountPath,
    title: 'Confirm it’s you',
    body: html`<p>
        To see and change your security settings, confirm it is you,
        <strong>${request.account.user.username}</strong>.
      </p>
      ${form}${passkey}`,
    passkeyScript: methods.passkey,
  });
}

/** Checks password (+ TOTP code) under the brute-force guard, then marks the session as fresh. */
export async function submitReauth(request: AccountRequest, form: URLSearchParams): Promise<void> {
  const { identity, res } = request;
  const { user } = request.account;
  const methods = reauthMethods(identity, request);
  const password = field(form, 'password', PASSWORD_FIELD_MAX) ?? '';
  if (!methods.password || password === '') {
    sendPage(res, 400, renderReauthPage(request, WRONG));
    return;
  }
  const attempt = { username: user.username, ip: request.ip };
  const decision = await identity.bruteForce.check(attempt);
  if (!decision.allowed) {
    identity.events.emit({
      event: 'login.locked_out',
      outcome: 'failure',
      reason: decision.reason,
      subject: user.id,
    });
    sendPage(res, 429, renderReauthPage(request, 'Too many attempts: try again later.'), {
      'retry-after': String(decision.retryAfterSeconds),
    });
    return;
  }
  if (decision.delayMs > 0) await sleep(decision.delayMs);
  const result = await identity.accounts.verifyCredentials(user.username, password);
  if (!result.ok || result.user.id !== user.id) {
    await identity.bruteForce.failed(attempt);
    identity.events.emit({
      event: 'login.failed',
      outcome: 'failure',
      reason: 'bad_credentials',
      subject: user.id,
    });
    sendPage(res, 401, renderReauthPage(request, WRONG));
    return;
  }
  await identity.bruteForce.succeeded(attempt);
  if (methods.totp) {
    const code = field(form, 'code', 64) ?? '';
    const checked = await guardedSecondFactor(
      identity,
      { userId: user.id, ip: request.ip, failure: 'bad_code' },
      () => identity.totp.verify(user.id, code),
    );
    if (checked.outcome !== 'passed') {
      sendPage(res, checked.outcome === 'locked' ? 429 : 401, renderReauthPage(request, WRONG));
      return;
    }
  }
  const methodsUsed = authenticationMethods('pwd', methods.totp ? 'otp' : undefined);
  await recordReauthentication(request.account.session, methodsUsed);
  identity.events.emit({
    event: 'login.succeeded',
    outcome: 'success',
    reason: `reauth_${methodsUsed.reason}`,
    subject: user.id,
  });
  seeOther(res, request.base);
}

/** `POST /account/reauth/passkey/options`: a request for one of the user's own passkeys. */
export async function reauthPasskeyOptions(request: AccountRequest): Promise<void> {
  if (!reauthMethods(request.identity, request).passkey) {
    sendJson(request.res, 404, { error: 'not_found', message: 'You have no passkey.' });
    return;
  }
  sendJson(request.res, 200, await request.identity.passkeys.authenticationOptions(request.account.user.id));
}

/** `POST /account/reauth/passkey/verify`: the user's passkey, with user verification. */
export async function reauthPasskeyVerify(request: AccountRequest, body: unknown): Promise<void> {
  const { identity, res } = request;
  const { user } = request.account;
  const answer = parseAuthenticationAnswer(body);
  if (answer === undefined) {
    sendJson(res, 400, { error: 'invalid_request', message: 'This passkey could not be used.' });
    return;
  }
  const result = await identity.passkeys.verifyAuthentication(answer.challengeId, answer.response);
  if (!result.ok || result.userId !== user.id || !result.userVerified) {
    identity.events.emit({
      event: 'login.failed',
      outcome: 'failure',
      reason: result.ok ? 'passkey_not_user_verified' : `passkey_${result.reason}`,
      subject: user.id,
    });
    sendJson(res, 401, { error: 'access_denied', message: 'This passkey could not be used.' });
    return;
  }
  const methods = authenticationMethods('passkey', undefined);
  await recordReauthentication(request.account.session, methods);
  identity.events.emit({
    event: 'login.succeeded',
    outcome: 'success',
    reason: 'reauth_passkey',
    subject: user.id,
  });
  sendJson(res, 200, { location: request.base });
}

/** The page for a request without a signed-in session. */
export function sendSignedOut(res: ServerResponse, mountPath: string): void {
  sendPage(
    res,
    401,
    page({
      mountPath,
      title: 'Not signed in',
      body: html`<p>You are not signed in here.</p>
        <p class="muted">Sign in through one of your applications, then come back to this page.</p>`,
    }),
  );
}

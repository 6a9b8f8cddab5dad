import { AccountError } from '../accounts/index.ts';
import { sendJson } from '../http/router.ts';
import { guardedSecondFactor, TOO_MANY_CODES } from '../interaction/second-factor-guard.ts';
import { html, page } from '../pages/layout.ts';
import { field } from '../pages/request-body.ts';
import { seeOther, sendPage } from '../pages/respond.ts';
import { recoveryCodesPage, shownEnrollment, TOTP_ISSUER, totpEnrollmentPage } from '../pages/totp-pages.ts';
import { parseRegistrationAnswer } from '../pages/webauthn-json.ts';
import type { AccountRequest, NoticeKey } from './account-request.ts';
import { endAllSessions, endSession } from './sessions.ts';

/** Back to the overview, with a fixed notice. */
function done(request: AccountRequest, notice?: NoticeKey): void {
  seeOther(request.res, notice === undefined ? request.base : `${request.base}?done=${notice}`);
}

function backLink(request: AccountRequest): ReturnType<typeof html> {
  return html`<p><a href="${request.base}">Back to your account</a></p>`;
}

/** `POST /account/passkeys/options`: a registration ceremony for the signed-in user. */
export async function passkeyRegistrationOptions(request: AccountRequest): Promise<void> {
  const { user } = request.account;
  const ceremony = await request.identity.passkeys.registrationOptions({
    id: user.id,
    username: user.username,
    displayName: user.displayName,
  });
  sendJson(request.res, 200, ceremony);
}

/** `POST /account/passkeys/verify`: stores the new passkey (bound to this user by its challenge). */
export async function passkeyRegistrationVerify(request: AccountRequest, body: unknown): Promise<void> {
  const { identity, res } = request;
  const { user } = request.account;
  const answer = parseRegistrationAnswer(body);
  if (answer === undefined) {
    sendJson(res, 400, { error: 'invalid_request', message: 'The passkey could not be added.' });
    return;
  }
  const result = await identity.passkeys.verifyRegistration(
    user.id,
    answer.challengeId,
    answer.response,
    answer.name?.trim() || 'Passkey',
  );
  if (!result.ok) {
    const message =
      result.reason === 'invalid_name'
        ? 'Give the passkey a name of 1 to 64 characters.'
        : result.reason === 'credential_exists'
          ? 'This passkey is already registered.'
          : 'The passkey could not be added. Try again.';
    identity.events.emit({
      event: 'passkey.refused',
      outcome: 'failure',
      reason: result.reason,
      subject: user.id,
    });
    sendJson(res, 400, { error: 'invalid_request', message });
    return;
  }
  identity.events.emit({
    event: 'passkey.registered',
    outcome: 'success',
    reason: 'self_service',
    subject: user.id,
  });
  sendJson(res, 200, { location: `${request.base}?done=passkey_added` });
}

/** `POST /account/passkeys/remove`. */
export async function removePasskey(request: AccountRequest, form: URLSearchParams): Promise<void> {
  const { user } = request.account;
  const credential = field(form, 'credential', 1400) ?? '';
  if (await request.identity.passkeys.remove(user.id, credential)) {
    request.identity.events.emit({
      event: 'passkey.removed',
      outcome: 'success',
      reason: 'self_service',
      subject: user.id,
    });
  }
  done(request, 'passkey_removed');
}

/** `POST /account/totp/begin`: a new (unconfirmed) secret and the enrolment page. */
export async function beginTotpSetup(request: AccountRequest): Promise<void> {
  const { user } = request.account;
  try {
    const enrollment = await request.identity.totp.begin(user.id, {
      issuer: TOTP_ISSUER,
      label: user.username,
    });
    sendPage(request.res, 200, enrollmentPage(request, enrollment));
  } catch (error) {
    if (error instanceof AccountError && error.code === 'totp_exists') {
      done(request);
      return;
    }
    throw error;
  }
}

/** `POST /account/totp/confirm`: a code proves the app has the secret; the recovery codes are shown once. */
export async function confirmTotpSetup(request: AccountRequest, form: URLSearchParams): Promise<void> {
  const { identity } = request;
  const { user } = request.account;
  const code = field(form, 'code', 64) ?? '';
  let codes: readonly string[] = [];
  const result = await guardedSecondFactor(
    identity,
    { userId: user.id, ip: request.ip, failure: 'bad_enrollment_code' },
    async () => {
      const confirmation = await identity.totp.confirm(user.id, code);
      if (confirmation.confirmed) codes = confirmation.recoveryCodes;
      return confirmation.confirmed;
    },
  );
  if (result.outcome !== 'passed') {
    const shown = shownEnrollment(form);
    if (shown === undefined) {
      done(request);
      return;
    }
    const locked = result.outcome === 'locked';
    sendPage(
      request.res,
      locked ? 429 : 401,
      enrollmentPage(
        request,
        shown,
        locked ? TOO_MANY_CODES : 'That code is not right. Enter the current code from the app.',
      ),
    );
    return;
  }
  identity.events.emit({ event: 'mfa.enrolled', outcome: 'success', reason: 'totp', subject: user.id });
  sendPage(
    request.res,
    200,
    recoveryCodesPage({
      mountPath: identity.settings.mountPath,
      codes,
      intro: 'Two-step verification is on.',
      next: backLink(request),
    }),
  );
}

/** `POST /account/totp/remove`: removes the factor and its recovery codes. */
export async function removeTotp(request: AccountRequest): Promise<void> {
  const { user } = request.account;
  if (await request.identity.totp.remove(user.id)) {
    request.identity.events.emit({
      event: 'mfa.removed',
      outcome: 'success',
      reason: 'totp',
      subject: user.id,
    });
  }
  done(request, 'totp_removed');
}

/** `POST /account/recovery-codes`: ten new codes replace the old ones, shown once. */
export async function regenerateRecoveryCodes(request: AccountRequest): Promise<void> {
  const { identity } = request;
  const { user } = request.account;
  let codes: string[];
  try {
    codes = await identity.totp.regenerateRecoveryCodes(user.id);
  } catch (error) {
    if (error instanceof AccountError && error.code === 'totp_not_enabled') {
      done(request);
      return;
    }
    throw error;
  }
  identity.events.emit({
    event: 'recovery_codes.regenerated',
    outcome: 'success',
    reason: 'self_service',
    subject: user.id,
  });
  sendPage(
    request.res,
    200,
    recoveryCodesPage({
      mountPath: identity.settings.mountPath,
      codes,
      intro: 'Your old recovery codes no longer work.',
      next: backLink(request),
    }),
  );
}

/** `POST /account/sessions/end`: signs one session out (another browser, or this one). */
export async function endOneSession(request: AccountRequest, form: URLSearchParams): Promise<void> {
  const { identity } = request;
  const { user, session } = request.account;
  const uid = field(form, 'session', 64) ?? '';
  const ended = await endSession(identity, user.id, uid);
  if (ended !== false) {
    identity.events.emit({
      event: 'session.revoked',
      outcome: 'success',
      reason: 'user_ended',
      subject: user.id,
    });
  }
  if (uid === session.uid) sendSignedOutEverywhere(request, 'You are signed out of this browser.');
  else done(request, 'session_ended');
}

/** `POST /account/sessions/end-all`: "sign out everywhere" — every session and grant of the account. */
export async function endEverySession(request: AccountRequest): Promise<void> {
  const { identity } = request;
  const { user } = request.account;
  await endAllSessions(identity, user.id);
  identity.events.emit({
    event: 'session.revoked',
    outcome: 'success',
    reason: 'sign_out_everywhere',
    subject: user.id,
  });
  sendSignedOutEverywhere(
    request,
    'You are signed out everywhere. Applications will ask you to sign in again.',
  );
}

function sendSignedOutEverywhere(request: AccountRequest, message: string): void {
  sendPage(
    request.res,
    200,
    page({
      mountPath: request.identity.settings.mountPath,
      title: 'Signed out',
      body: html`<p>${message}</p>`,
    }),
  );
}

function enrollmentPage(
  request: AccountRequest,
  enrollment: { secret: string; uri: string },
  error?: string,
): string {
  return totpEnrollmentPage({
    mountPath: request.identity.settings.mountPath,
    action: `${request.base}/totp/confirm`,
    csrf: request.csrf,
    enrollment,
    intro: 'Add a second step to your sign-in.',
    error,
  });
}

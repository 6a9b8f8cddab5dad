import type { User } from '../accounts/index.ts';
import { csrfInput, errorMessage, invalidWhen, passkeyButton } from '../pages/form-parts.ts';
import { html, page } from '../pages/layout.ts';
import { field } from '../pages/request-body.ts';
import { sendPage } from '../pages/respond.ts';
import { advance } from './advance.ts';
import type { SecondFactors } from './mfa-policy.ts';
import { readProgress, saveProgress, type SecondFactor } from './progress.ts';
import { guardedSecondFactor, TOO_MANY_CODES } from './second-factor-guard.ts';
import type { StepContext } from './step-context.ts';
import { sendExpired } from './expired-page.ts';

const TOTP_ERROR = 'totp-error';
const RECOVERY_ERROR = 'recovery-error';

export interface SecondFactorView {
  readonly totpError?: string;
  readonly recoveryError?: string;
}

/**
 * The second-factor challenge: a TOTP code (numeric keypad, one-time-code autofill), a recovery
 * code behind a disclosure, and a passkey button when the user has passkeys.
 */
export function renderSecondFactorPage(
  ctx: StepContext,
  factors: SecondFactors,
  view: SecondFactorView = {},
): string {
  const totp = factors.totp
    ? html`<form method="post" action="${ctx.base}/mfa">${csrfInput(ctx.csrf)}<input type="hidden" name="method" value="totp">
${errorMessage(TOTP_ERROR, view.totpError)}
<label for="code">Code from your authenticator app</label>
<input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9 ]*" autocomplete="one-time-code" maxlength="8" required${invalidWhen(TOTP_ERROR, view.totpError)}${view.recoveryError === undefined ? html` autofocus` : html``}>
<button type="submit">Verify</button>
</form>
<details${view.recoveryError === undefined ? html`` : html` open`}><summary>Use a recovery code instead</summary>
<form method="post" action="${ctx.base}/mfa">${csrfInput(ctx.csrf)}<input type="hidden" name="method" value="recovery">
${errorMessage(RECOVERY_ERROR, view.recoveryError)}
<label for="recovery-code">Recovery code</label>
<input id="recovery-code" name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="40" required${invalidWhen(RECOVERY_ERROR, view.recoveryError)}${view.recoveryError === undefined ? html`` : html` autofocus`}>
<p class="hint">Each recovery code works once.</p>
<button type="submit">Use recovery code</button>
</form></details>`
    : html``;
  const passkey = factors.passkey
    ? html`${factors.totp ? html`<p class="divider" aria-hidden="true">or</p>` : html`<p>Use your passkey to continue.</p>`}${passkeyButton(
        {
          mode: 'get',
          label: 'Use a passkey',
          optionsUrl: `${ctx.base}/passkey/options`,
          verifyUrl: `${ctx.base}/passkey/verify`,
          csrf: ctx.csrf,
          statusId: 'passkey-status',
          secondary: factors.totp,
        },
      )}`
    : html``;
  return page({
    mountPath: ctx.identity.settings.mountPath,
    title: 'Two-step verification',
    body: html`${totp}${passkey}`,
    passkeyScript: factors.passkey,
  });
}

/** Checks a TOTP code (each accepted once) or a recovery code (single use), under the brute-force guard. */
export async function submitSecondFactor(
  ctx: StepContext,
  user: User,
  factors: SecondFactors,
  form: URLSearchParams,
): Promise<void> {
  const recovery = field(form, 'method', 16) === 'recovery';
  const code = field(form, 'code', 64) ?? '';
  const viewFor = (message: string): SecondFactorView =>
    recovery ? { recoveryError: message } : { totpError: message };
  if (!factors.totp) {
    sendPage(ctx.res, 400, renderSecondFactorPage(ctx, factors, viewFor('Use your passkey to continue.')));
    return;
  }
  const { totp } = ctx.identity;
  const result = await guardedSecondFactor(
    ctx.identity,
    { userId: user.id, ip: ctx.ip, failure: recovery ? 'bad_recovery_code' : 'bad_code' },
    () => (recovery ? totp.useRecoveryCode(user.id, code) : totp.verify(user.id, code)),
  );
  if (result.outcome === 'locked') {
    sendPage(ctx.res, 429, renderSecondFactorPage(ctx, factors, viewFor(TOO_MANY_CODES)), {
      'retry-after': String(result.retryAfterSeconds),
    });
    return;
  }
  if (result.outcome === 'failed') {
    const message = recovery
      ? 'That recovery code is not valid or was already used.'
      : 'That code is not right. Enter the current code from your app.';
    sendPage(ctx.res, 401, renderSecondFactorPage(ctx, factors, viewFor(message)));
    return;
  }
  const second: SecondFactor = recovery ? 'recovery_code' : 'otp';
  ctx.identity.events.emit({
    event: 'mfa.succeeded',
    outcome: 'success',
    reason: recovery ? 'recovery_code' : 'totp',
    subject: user.id,
  });
  const progress = { ...readProgress(ctx.interaction), second };
  if (!(await saveProgress(ctx.interaction, progress))) {
    sendExpired(ctx.res, ctx.identity.settings.mountPath);
    return;
  }
  await advance(ctx, progress);
}

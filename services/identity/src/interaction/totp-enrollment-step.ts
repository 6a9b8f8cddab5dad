import type { TotpEnrollment, User } from '../accounts/index.ts';
import { csrfInput } from '../pages/form-parts.ts';
import { html } from '../pages/layout.ts';
import { field } from '../pages/request-body.ts';
import { sendPage } from '../pages/respond.ts';
import { recoveryCodesPage, shownEnrollment, TOTP_ISSUER, totpEnrollmentPage } from '../pages/totp-pages.ts';
import { sendExpired } from './expired-page.ts';
import { readProgress, saveProgress } from './progress.ts';
import { guardedSecondFactor, TOO_MANY_CODES } from './second-factor-guard.ts';
import type { StepContext } from './step-context.ts';

/** Starts (or restarts) TOTP enrolment: a fresh secret, unconfirmed until a code proves the app has it. */
export function beginTotp(ctx: StepContext, user: User): Promise<TotpEnrollment> {
  return ctx.identity.totp.begin(user.id, { issuer: TOTP_ISSUER, label: user.username });
}

/** The enrolment page of a sign-in that requires a second factor the user does not have yet. */
export function renderTotpEnrollmentPage(
  ctx: StepContext,
  enrollment: TotpEnrollment,
  error?: string,
): string {
  return totpEnrollmentPage({
    mountPath: ctx.identity.settings.mountPath,
    action: `${ctx.base}/totp`,
    csrf: ctx.csrf,
    enrollment,
    intro: 'This account needs a second step to sign in.',
    error,
  });
}

/**
 * Confirms the new factor with a code from the app (under the brute-force guard); on success it
 * counts as this sign-in's second factor, and the recovery codes are shown once before going on.
 */
export async function submitTotpEnrollment(
  ctx: StepContext,
  user: User,
  form: URLSearchParams,
): Promise<void> {
  const code = field(form, 'code', 64) ?? '';
  let recoveryCodes: readonly string[] = [];
  const result = await guardedSecondFactor(
    ctx.identity,
    { userId: user.id, ip: ctx.ip, failure: 'bad_enrollment_code' },
    async () => {
      const confirmation = await ctx.identity.totp.confirm(user.id, code);
      if (confirmation.confirmed) recoveryCodes = confirmation.recoveryCodes;
      return confirmation.confirmed;
    },
  );
  if (result.outcome !== 'passed') {
    const enrollment = shownEnrollment(form) ?? (await beginTotp(ctx, user));
    const locked = result.outcome === 'locked';
    const message = locked
      ? TOO_MANY_CODES
      : 'That code is not right. Check the app shows this account, and enter its current code.';
    sendPage(
      ctx.res,
      locked ? 429 : 401,
      renderTotpEnrollmentPage(ctx, enrollment, message),
      locked ? { 'retry-after': String(result.retryAfterSeconds) } : {},
    );
    return;
  }
  ctx.identity.events.emit({ event: 'mfa.enrolled', outcome: 'success', reason: 'totp', subject: user.id });
  ctx.identity.events.emit({ event: 'mfa.succeeded', outcome: 'success', reason: 'totp', subject: user.id });
  if (!(await saveProgress(ctx.interaction, { ...readProgress(ctx.interaction), second: 'otp' }))) {
    sendExpired(ctx.res, ctx.identity.settings.mountPath);
    return;
  }
  sendPage(
    ctx.res,
    200,
    recoveryCodesPage({
      mountPath: ctx.identity.settings.mountPath,
      codes: recoveryCodes,
      intro: 'Two-step verification is on.',
      next: html`<form method="post" action="${ctx.base}/continue">
        ${csrfInput(ctx.csrf)}<button type="submit" autofocus>Continue</button>
      </form>`,
    }),
  );
}

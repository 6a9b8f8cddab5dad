import { csrfInput } from '../pages/form-parts.ts';
import { html, page } from '../pages/layout.ts';
import { sendPage } from '../pages/respond.ts';
import { showConsent } from './consent-step.ts';
import { renderChangePasswordPage } from './change-password-step.ts';
import { renderCredentialsPage } from './credentials-step.ts';
import { nextLoginStep } from './next-step.ts';
import { readProgress } from './progress.ts';
import { renderSecondFactorPage } from './second-factor-step.ts';
import type { StepContext } from './step-context.ts';
import { beginTotp, renderTotpEnrollmentPage } from './totp-enrollment-step.ts';

/** `GET /interaction/<uid>`: the page of the step the interaction is at. */
export async function showStep(ctx: StepContext): Promise<void> {
  const { name } = ctx.interaction.prompt;
  if (name === 'consent') {
    await showConsent(ctx);
    return;
  }
  if (name !== 'login') {
    sendPage(
      ctx.res,
      400,
      page({
        mountPath: ctx.identity.settings.mountPath,
        title: 'Sign-in problem',
        body: html`<p>This request cannot be completed here.</p>`,
      }),
    );
    return;
  }
  const step = await nextLoginStep(ctx, readProgress(ctx.interaction));
  switch (step.kind) {
    case 'credentials':
      sendPage(ctx.res, 200, renderCredentialsPage(ctx));
      return;
    case 'change_password':
      sendPage(ctx.res, 200, renderChangePasswordPage(ctx, step.user));
      return;
    case 'enroll_totp':
      sendPage(ctx.res, 200, renderTotpEnrollmentPage(ctx, await beginTotp(ctx, step.user)));
      return;
    case 'second_factor':
      ctx.identity.events.emit({
        event: 'mfa.challenged',
        outcome: 'unknown',
        reason: step.factors.totp ? 'totp' : 'passkey',
        subject: step.user.id,
      });
      sendPage(ctx.res, 200, renderSecondFactorPage(ctx, step.factors));
      return;
    case 'mfa_unavailable':
      sendPage(ctx.res, 403, renderMfaUnavailablePage(ctx));
      return;
    case 'complete':
      sendPage(ctx.res, 200, renderContinuePage(ctx));
      return;
  }
}

/** MFA is required but no method this deployment allows can be set up during sign-in. */
function renderMfaUnavailablePage(ctx: StepContext): string {
  return page({
    mountPath: ctx.identity.settings.mountPath,
    title: 'Two-step verification needed',
    body: html`<p>
        This account must use two-step verification, but none is set up and it cannot be set up here.
      </p>
      <p class="muted">Ask your administrator for help.</p>`,
  });
}

/** Every step is done (e.g. the page was reloaded after the recovery codes): one button to go on. */
function renderContinuePage(ctx: StepContext): string {
  return page({
    mountPath: ctx.identity.settings.mountPath,
    title: 'Signed in',
    body: html`<form method="post" action="${ctx.base}/continue">
      ${csrfInput(ctx.csrf)}<button type="submit" autofocus>Continue</button>
    </form>`,
  });
}

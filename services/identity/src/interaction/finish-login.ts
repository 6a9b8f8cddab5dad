import { sourceIpField } from '../pages/client-ip.ts';
import { authenticationMethods } from './authentication-methods.ts';
import type { LoginStep } from './next-step.ts';
import type { StepContext } from './step-context.ts';

/**
 * Ends the login prompt: records the result in the interaction (replacing the progress kept there)
 * and returns where the browser must go next (oidc-provider's resume endpoint). `ts` pins the
 * authentication time, so re-applying this result later (consent merges it) keeps `auth_time`.
 */
export async function finishLogin(
  ctx: StepContext,
  step: Extract<LoginStep, { kind: 'complete' }>,
): Promise<string> {
  const { amr, acr, reason } = authenticationMethods(step.first, step.second);
  const returnTo = await ctx.provider.interactionResult(
    ctx.req,
    ctx.res,
    { login: { accountId: step.user.id, amr: [...amr], acr, ts: Math.floor(Date.now() / 1000) } },
    { mergeWithLastSubmission: false },
  );
  ctx.identity.events.emit({
    event: 'login.succeeded',
    outcome: 'success',
    reason,
    subject: step.user.id,
    ...sourceIpField(ctx.ip),
  });
  return returnTo;
}

import { seeOther } from '../pages/respond.ts';
import { finishLogin } from './finish-login.ts';
import { nextLoginStep } from './next-step.ts';
import type { LoginProgress } from './progress.ts';
import type { StepContext } from './step-context.ts';

/**
 * After a step succeeded (its progress saved): finish the login if nothing is left, else send the
 * browser back to the step page, which shows what comes next (POST, then redirect, then GET).
 */
export async function advance(ctx: StepContext, progress: LoginProgress): Promise<void> {
  const step = await nextLoginStep(ctx, progress);
  seeOther(ctx.res, step.kind === 'complete' ? await finishLogin(ctx, step) : ctx.base);
}

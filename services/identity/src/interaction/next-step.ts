import type { User } from '../accounts/index.ts';
import { mfaRequired, secondFactorsOf, type SecondFactors } from './mfa-policy.ts';
import type { FirstFactor, LoginProgress, SecondFactor } from './progress.ts';
import type { StepContext } from './step-context.ts';

/** What the sign-in asks for next. */
export type LoginStep =
  | { readonly kind: 'credentials' }
  | { readonly kind: 'change_password'; readonly user: User }
  | { readonly kind: 'enroll_totp'; readonly user: User }
  | { readonly kind: 'second_factor'; readonly user: User; readonly factors: SecondFactors }
  | { readonly kind: 'mfa_unavailable'; readonly user: User }
  | {
      readonly kind: 'complete';
      readonly user: User;
      readonly first: FirstFactor;
      readonly second: SecondFactor | undefined;
    };

/**
 * The next step, from the stored progress and the account as it is now (re-read on every request:
 * an account disabled or changed mid-flow is seen at once). Order: credentials, then the second
 * factor the user already has, then a required password change, then enrolment of a second factor
 * if one is required and none exists. The second factor comes before the password change so that a
 * one-time password from an admin reset alone cannot set a new password (ASVS V6.4.3).
 */
export async function nextLoginStep(ctx: StepContext, progress: LoginProgress): Promise<LoginStep> {
  const { userId, first, second } = progress;
  if (userId === undefined || first === undefined) return { kind: 'credentials' };
  const user = await ctx.identity.accounts.findById(userId);
  if (user === undefined || user.disabled) return { kind: 'credentials' };
  // A passkey with user verification is two factors by itself.
  const needsSecond = second === undefined && first !== 'passkey' && (await mfaRequired(ctx, user));
  const factors = secondFactorsOf(ctx.identity.settings, user);
  if (needsSecond && (factors.totp || factors.passkey)) return { kind: 'second_factor', user, factors };
  if (user.mustChangePassword) return { kind: 'change_password', user };
  if (!needsSecond) return { kind: 'complete', user, first, second };
  if (ctx.identity.settings.mfaMethods.includes('totp')) return { kind: 'enroll_totp', user };
  return { kind: 'mfa_unavailable', user };
}

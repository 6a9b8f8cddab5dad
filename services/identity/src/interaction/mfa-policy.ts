import type { User } from '../accounts/index.ts';
import { ACR } from '../oidc/provider.ts';
import type { IdentitySettings } from '../settings.ts';
import { clientIdOf, type StepContext } from './step-context.ts';

/** The second factors a user can be challenged with (enrolled, and enabled in rampart.yaml). */
export interface SecondFactors {
  readonly totp: boolean;
  readonly passkey: boolean;
}

/** Which of the user's second factors are usable under `identity.mfa.methods`. */
export function secondFactorsOf(settings: IdentitySettings, user: User): SecondFactors {
  return {
    totp: settings.mfaMethods.includes('totp') && user.mfa.totp,
    passkey: settings.mfaMethods.includes('passkey') && user.mfa.passkeys > 0,
  };
}

/**
 * Whether this sign-in needs a second factor. It does when any of these holds:
 * - the client is registered with `rampart_require_mfa` (`requireMfa: true` in rampart.yaml; always
 *   for the console);
 * - the user is in a group of `identity.mfa.requireForGroups`;
 * - the user has a second factor enrolled (someone who set one up is always asked for it);
 * - the client asked for the MFA class in `acr_values`.
 */
export async function mfaRequired(ctx: StepContext, user: User): Promise<boolean> {
  const { settings } = ctx.identity;
  const factors = secondFactorsOf(settings, user);
  if (factors.totp || factors.passkey) return true;
  if (user.groups.some((group) => settings.mfaRequiredGroups.includes(group))) return true;
  const acrValues = ctx.interaction.params['acr_values'];
  if (typeof acrValues === 'string' && acrValues.split(' ').includes(ACR.mfa)) return true;
  const client = await ctx.provider.Client.find(clientIdOf(ctx));
  return client?.metadata()['rampart_require_mfa'] === true;
}

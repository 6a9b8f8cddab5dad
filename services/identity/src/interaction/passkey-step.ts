import { sendJson } from '../http/router.ts';
import { parseAuthenticationAnswer } from '../pages/webauthn-json.ts';
import { finishLogin } from './finish-login.ts';
import { nextLoginStep } from './next-step.ts';
import { readProgress, saveProgress, type LoginProgress } from './progress.ts';
import type { StepContext } from './step-context.ts';

const REFUSED = 'This passkey could not be used to sign in.';

/**
 * `POST …/passkey/options`: a WebAuthn request for this interaction. After the password it asks
 * for one of that user's passkeys (second factor); before it, for any discoverable passkey
 * (passwordless sign-in). The challenge id is kept in the interaction: only that ceremony's answer
 * is accepted here.
 */
export async function passkeyOptions(ctx: StepContext): Promise<void> {
  if (!ctx.identity.settings.mfaMethods.includes('passkey')) {
    sendJson(ctx.res, 404, { error: 'not_found', message: 'Passkeys are not enabled.' });
    return;
  }
  const progress = readProgress(ctx.interaction);
  const secondFactorFor = progress.first === 'pwd' ? progress.userId : undefined;
  const ceremony = await ctx.identity.passkeys.authenticationOptions(secondFactorFor);
  if (!(await saveProgress(ctx.interaction, { ...progress, passkeyChallengeId: ceremony.challengeId }))) {
    sendJson(ctx.res, 400, { error: 'expired', message: 'This sign-in has expired.' });
    return;
  }
  sendJson(ctx.res, 200, ceremony);
}

/**
 * `POST …/passkey/verify`: checks the assertion. As a second factor it must come from the user who
 * gave the password; alone it must carry user verification (PIN or biometrics). Answers
 * `{ location }`: the next step, or the end of the sign-in.
 */
export async function passkeyVerify(ctx: StepContext, body: unknown): Promise<void> {
  const { passkeys, events, settings } = ctx.identity;
  const progress = readProgress(ctx.interaction);
  const answer = parseAuthenticationAnswer(body);
  if (!settings.mfaMethods.includes('passkey') || answer === undefined) {
    sendJson(ctx.res, 400, { error: 'invalid_request', message: REFUSED });
    return;
  }
  const secondFactorFor = progress.first === 'pwd' ? progress.userId : undefined;
  const event = secondFactorFor === undefined ? 'login.failed' : 'mfa.failed';
  if (answer.challengeId !== progress.passkeyChallengeId) {
    events.emit({ event, outcome: 'failure', reason: 'passkey_challenge_invalid' });
    sendJson(ctx.res, 400, { error: 'invalid_request', message: REFUSED });
    return;
  }
  const rest = withoutChallenge(progress);
  const result = await passkeys.verifyAuthentication(answer.challengeId, answer.response);
  const refuse = async (reason: string, subject: string | undefined, message = REFUSED): Promise<void> => {
    await saveProgress(ctx.interaction, rest);
    events.emit({ event, outcome: 'failure', reason, ...(subject === undefined ? {} : { subject }) });
    sendJson(ctx.res, 401, { error: 'access_denied', message });
  };
  if (!result.ok) {
    await refuse(`passkey_${result.reason}`, secondFactorFor);
    return;
  }
  let next: LoginProgress;
  if (secondFactorFor !== undefined) {
    if (result.userId !== secondFactorFor) {
      await refuse('passkey_wrong_user', secondFactorFor);
      return;
    }
    next = { ...rest, second: 'passkey' };
    events.emit({ event: 'mfa.succeeded', outcome: 'success', reason: 'passkey', subject: result.userId });
  } else {
    if (!result.userVerified) {
      await refuse(
        'passkey_not_user_verified',
        result.userId,
        'This passkey did not verify you (with a PIN or biometrics), so it cannot be used on its own.',
      );
      return;
    }
    next = { userId: result.userId, first: 'passkey' };
  }
  if (!(await saveProgress(ctx.interaction, next))) {
    sendJson(ctx.res, 400, { error: 'expired', message: 'This sign-in has expired.' });
    return;
  }
  const step = await nextLoginStep(ctx, next);
  sendJson(ctx.res, 200, { location: step.kind === 'complete' ? await finishLogin(ctx, step) : ctx.base });
}

/** The progress with its passkey challenge spent (a challenge is answered at most once). */
function withoutChallenge(progress: LoginProgress): LoginProgress {
  return {
    ...(progress.userId === undefined || progress.first === undefined
      ? {}
      : { userId: progress.userId, first: progress.first }),
    ...(progress.second === undefined ? {} : { second: progress.second }),
  };
}

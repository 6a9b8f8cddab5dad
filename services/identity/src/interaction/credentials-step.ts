import { setTimeout as sleep } from 'node:timers/promises';
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
import { sourceIpField } from '../pages/client-ip.ts';
import { field } from '../pages/request-body.ts';
import { sendPage } from '../pages/respond.ts';
import { advance } from './advance.ts';
import { sendExpired } from './expired-page.ts';
import { saveProgress } from './progress.ts';
import { clientIdOf, type StepContext } from './step-context.ts';

/** The one message for an unknown user, a wrong password and a disabled account. */
export const BAD_CREDENTIALS = 'The username or password is incorrect.';
/** Shown when the brute-force guard refuses an attempt: the same message, plus when to come back. */
export const LOCKED_OUT = `${BAD_CREDENTIALS} There were too many attempts: try again later.`;

const MAX_USERNAME = 256;
const ERROR_ID = 'login-error';

export interface CredentialsView {
  readonly username?: string;
  readonly error?: string;
}

/** The sign-in page: username and password, and "Sign in with a passkey" where passkeys are on. */
export function renderCredentialsPage(ctx: StepContext, view: CredentialsView = {}): string {
  const { settings } = ctx.identity;
  const username = view.username ?? loginHint(ctx);
  const passkeys = settings.mfaMethods.includes('passkey');
  const invalid = invalidWhen(ERROR_ID, view.error);
  const body = html`<p class="muted">to continue to <strong>${clientIdOf(ctx)}</strong></p>
    <form method="post" action="${ctx.base}/login">
      ${csrfInput(ctx.csrf)}${errorMessage(ERROR_ID, view.error)}
      <label for="username">Username</label>
      <input
        id="username"
        name="username"
        type="text"
        autocomplete="username"
        autocapitalize="none"
        spellcheck="false"
        maxlength="${MAX_USERNAME}"
        required
        value="${username}"
        ${invalid}${autofocusWhen(username === '')}
      />
      <label for="password">Password</label>
      <input
        id="password"
        name="password"
        ${passwordAttributes('current')}
        required${invalid}${autofocusWhen(username !== '')}
      />
      <button type="submit">Sign in</button>
    </form>
    ${
      passkeys
        ? html`<p class="divider" aria-hidden="true">or</p>
            ${passkeyButton({
              mode: 'get',
              label: 'Sign in with a passkey',
              optionsUrl: `${ctx.base}/passkey/options`,
              verifyUrl: `${ctx.base}/passkey/verify`,
              csrf: ctx.csrf,
              statusId: 'passkey-status',
              secondary: true,
            })}`
        : html``
    }`;
  return page({ mountPath: settings.mountPath, title: 'Sign in', body, passkeyScript: passkeys });
}

/**
 * The password step. The brute-force guard reserves the attempt first (and may ask for a delay, or
 * refuse with 429 and `Retry-After`); then the credentials are verified at the same cost whether or
 * not the user exists. Every failure gets the same page, status and message; the event naming the
 * account (when there is one) is written only after the response, so that looking the account up
 * cannot show in the response time.
 */
export async function submitCredentials(ctx: StepContext, form: URLSearchParams): Promise<void> {
  const { accounts, bruteForce, events, log } = ctx.identity;
  const username = field(form, 'username', MAX_USERNAME)?.trim() ?? '';
  const password = field(form, 'password', PASSWORD_FIELD_MAX) ?? '';
  if (username === '' || password === '') {
    sendPage(
      ctx.res,
      400,
      renderCredentialsPage(ctx, { username, error: 'Enter your username and password.' }),
    );
    return;
  }
  const attempt = { username, ip: ctx.ip };
  const decision = await bruteForce.check(attempt);
  if (!decision.allowed) {
    events.emit({
      event: 'login.locked_out',
      outcome: 'failure',
      reason: decision.reason,
      ...sourceIpField(ctx.ip),
    });
    sendPage(ctx.res, 429, renderCredentialsPage(ctx, { username, error: LOCKED_OUT }), {
      'retry-after': String(decision.retryAfterSeconds),
    });
    return;
  }
  if (decision.delayMs > 0) await sleep(decision.delayMs);
  const result = await accounts.verifyCredentials(username, password);
  if (!result.ok) {
    await bruteForce.failed(attempt);
    sendPage(ctx.res, 401, renderCredentialsPage(ctx, { username, error: BAD_CREDENTIALS }));
    // After the response: whether the account exists must not change how long the answer takes.
    accounts
      .findByUsername(username)
      .then((user) => {
        events.emit({
          event: 'login.failed',
          outcome: 'failure',
          reason: 'bad_credentials',
          ...(user === undefined ? {} : { subject: user.id }),
          ...sourceIpField(ctx.ip),
        });
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'identity: recording a failed login failed');
      });
    return;
  }
  await bruteForce.succeeded(attempt);
  // A fresh progress: a second factor verified for another account never carries over.
  if (!(await saveProgress(ctx.interaction, { userId: result.user.id, first: 'pwd' }))) {
    sendExpired(ctx.res, ctx.identity.settings.mountPath);
    return;
  }
  await advance(ctx, { userId: result.user.id, first: 'pwd' });
}

function loginHint(ctx: StepContext): string {
  const hint = ctx.interaction.params['login_hint'];
  return typeof hint === 'string' && hint.length <= MAX_USERNAME ? hint : '';
}

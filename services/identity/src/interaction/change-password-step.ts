import { AccountError, type User } from '../accounts/index.ts';
import {
  csrfInput,
  errorMessage,
  invalidWhen,
  passwordAttributes,
  PASSWORD_FIELD_MAX,
} from '../pages/form-parts.ts';
import { html, page } from '../pages/layout.ts';
import { field } from '../pages/request-body.ts';
import { sendPage } from '../pages/respond.ts';
import { advance } from './advance.ts';
import { readProgress } from './progress.ts';
import type { StepContext } from './step-context.ts';

const ERROR_ID = 'password-error';

/**
 * "Choose a new password", shown right after the first factor when the account must change its
 * password (set by an administrator). The policy's message is shown as it is: it says what to fix.
 */
export function renderChangePasswordPage(ctx: StepContext, user: User, error?: string): string {
  const invalid = invalidWhen(ERROR_ID, error);
  const body = html`<p>Your password must be changed before you continue.</p>
    <form method="post" action="${ctx.base}/password">
      ${csrfInput(ctx.csrf)}
      <input type="text" name="username" autocomplete="username" value="${user.username}" hidden readonly />
      ${errorMessage(ERROR_ID, error)}
      <label for="new-password">New password</label>
      <input
        id="new-password"
        name="new_password"
        ${passwordAttributes('new')}
        required
        aria-describedby="password-hint${error === undefined ? '' : ` ${ERROR_ID}`}"
        ${error === undefined ? html`` : html` aria-invalid="true"`}
        autofocus
      />
      <p id="password-hint" class="hint">
        At least 12 characters. Not a common password, and not your username.
      </p>
      <label for="confirm-password">New password again</label>
      <input id="confirm-password" name="confirm_password" ${passwordAttributes('new')} required${invalid} />
      <button type="submit">Change password</button>
    </form>`;
  return page({ mountPath: ctx.identity.settings.mountPath, title: 'Choose a new password', body });
}

/** Sets the new password (policy-checked by the account store) and moves on. */
export async function submitChangePassword(
  ctx: StepContext,
  user: User,
  form: URLSearchParams,
): Promise<void> {
  const password = field(form, 'new_password', PASSWORD_FIELD_MAX) ?? '';
  const confirm = field(form, 'confirm_password', PASSWORD_FIELD_MAX) ?? '';
  if (password !== confirm) {
    sendPage(ctx.res, 400, renderChangePasswordPage(ctx, user, 'The two passwords are not the same.'));
    return;
  }
  try {
    await ctx.identity.accounts.setPassword(user.id, password);
  } catch (error) {
    if (error instanceof AccountError && error.code === 'weak_password') {
      sendPage(ctx.res, 400, renderChangePasswordPage(ctx, user, error.policy?.message ?? error.message));
      return;
    }
    throw error;
  }
  ctx.identity.events.emit({
    event: 'password.changed',
    outcome: 'success',
    reason: 'must_change',
    subject: user.id,
  });
  await advance(ctx, readProgress(ctx.interaction));
}

import { MAX_PASSWORD_INPUT_UNITS, MIN_PASSWORD_LENGTH } from '../accounts/index.ts';
import { CSRF_FIELD } from './csrf.ts';
import { html, type SafeHtml } from './layout.ts';

/** The hidden CSRF field of a form. */
export function csrfInput(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}" />`;
}

/** An error message, announced by screen readers, that inputs point to with `aria-describedby`. */
export function errorMessage(id: string, message: string | undefined): SafeHtml {
  return message === undefined ? html`` : html`<p id="${id}" class="error" role="alert">${message}</p>`;
}

/** ` aria-invalid="true" aria-describedby="…"` when `message` is set, nothing otherwise. */
export function invalidWhen(errorId: string, message: string | undefined): SafeHtml {
  return message === undefined ? html`` : html` aria-invalid="true" aria-describedby="${errorId}"`;
}

/**
 * The longest password field identity reads (UTF-16 units), and the `maxlength` of every password
 * input: the policy counts at most 128 code points after NFKC (`MAX_PASSWORD_LENGTH`), which can take
 * more units than that, so a smaller `maxlength` would cut off valid passwords.
 */
export const PASSWORD_FIELD_MAX = MAX_PASSWORD_INPUT_UNITS;

/**
 * ` type="password" autocomplete=… minlength=… maxlength=…` for every password input of every
 * page, so the forms cannot drift apart: a `current` password (sign-in, re-authentication) or a
 * `new` one (with the policy's minimum; the policy itself is checked on the server).
 */
export function passwordAttributes(kind: 'current' | 'new'): SafeHtml {
  return kind === 'current'
    ? html` type="password" autocomplete="current-password" maxlength="${String(PASSWORD_FIELD_MAX)}"`
    : html` type="password" autocomplete="new-password" minlength="${String(MIN_PASSWORD_LENGTH)}"
      maxlength="${String(PASSWORD_FIELD_MAX)}"`;
}

/** ` autofocus` when `on`. */
export function autofocusWhen(on: boolean): SafeHtml {
  return on ? html` autofocus` : html``;
}

/**
 * A passkey button for the passkey script (`pages/passkey-script.ts`): hidden until the script
 * finds WebAuthn, with a live region for its messages.
 */
export function passkeyButton(options: {
  readonly mode: 'get' | 'create';
  readonly label: string;
  readonly optionsUrl: string;
  readonly verifyUrl: string;
  readonly csrf: string;
  readonly statusId: string;
  readonly nameInputId?: string;
  readonly secondary?: boolean;
}): SafeHtml {
  const name = options.nameInputId === undefined ? html`` : html` data-name-input="${options.nameInputId}"`;
  const cls = options.secondary === true ? html` class="secondary"` : html``;
  return html`<button
      type="button"
      ${cls}
      hidden
      data-passkey="${options.mode}"
      data-options-url="${options.optionsUrl}"
      data-verify-url="${options.verifyUrl}"
      data-csrf="${options.csrf}"
      data-status="${options.statusId}"
      ${name}
    >
      ${options.label}
    </button>
    <p id="${options.statusId}" class="error" role="status" aria-live="polite"></p>`;
}

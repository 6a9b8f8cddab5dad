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

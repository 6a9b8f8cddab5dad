import { formatRecoveryCode, type TotpEnrollment } from '../accounts/index.ts';
import { field } from './request-body.ts';
import { csrfInput, errorMessage, invalidWhen } from './form-parts.ts';
import { html, page, type SafeHtml } from './layout.ts';

const ERROR_ID = 'enroll-error';
const BASE32 = /^[A-Z2-7]{16,128}=*$/;
const OTPAUTH = /^otpauth:\/\/totp\/[\x21-\x7e]{1,500}$/;

/** The issuer name authenticator apps show beside the account. */
export const TOTP_ISSUER = 'Rampart';

/**
 * "Set up two-step verification": the secret in base32 (to type into an app) and the `otpauth://`
 * URI as text (no QR code: that would need a script or an image library), then a code to confirm.
 * The secret and URI are carried in hidden fields only to show them again after a wrong code (see
 * {@link shownEnrollment}); the secret that counts is the stored one.
 */
export function totpEnrollmentPage(options: {
  readonly mountPath: string;
  readonly action: string;
  readonly csrf: string;
  readonly enrollment: TotpEnrollment;
  readonly intro: string;
  readonly error?: string | undefined;
}): string {
  const { enrollment, error } = options;
  const body = html`<p>
      ${options.intro} Add it to an authenticator app (such as Aegis, Google Authenticator or 1Password):
    </p>
    <p id="secret-label">Secret key (enter it in the app by hand):</p>
    <p class="secret" aria-labelledby="secret-label">${enrollment.secret}</p>
    <p id="uri-label" class="muted">Or this setup link, if your app accepts one:</p>
    <p class="secret muted" aria-labelledby="uri-label">${enrollment.uri}</p>
    <form method="post" action="${options.action}">
      ${csrfInput(options.csrf)} <input type="hidden" name="secret" value="${enrollment.secret}" /><input
        type="hidden"
        name="uri"
        value="${enrollment.uri}"
      />
      ${errorMessage(ERROR_ID, error)}
      <label for="code">Code shown by the app</label>
      <input
        id="code"
        name="code"
        type="text"
        inputmode="numeric"
        pattern="[0-9 ]*"
        autocomplete="one-time-code"
        maxlength="8"
        required${invalidWhen(ERROR_ID, error)}
        autofocus
      />
      <button type="submit">Turn on two-step verification</button>
    </form>`;
  return page({ mountPath: options.mountPath, title: 'Set up two-step verification', body });
}

/** The secret and URI an enrolment page showed, posted back for showing again (display only, shape-checked). */
export function shownEnrollment(form: URLSearchParams): TotpEnrollment | undefined {
  const secret = field(form, 'secret', 256);
  const uri = field(form, 'uri', 512);
  if (secret === undefined || uri === undefined || !BASE32.test(secret) || !OTPAUTH.test(uri))
    return undefined;
  return { secret, uri };
}

/**
 * Recovery codes, shown once (they are stored only as hashes), then `next` (a button or a link).
 */
export function recoveryCodesPage(options: {
  readonly mountPath: string;
  readonly codes: readonly string[];
  readonly intro: string;
  readonly next: SafeHtml;
}): string {
  const body = html`<p>
      ${options.intro} Keep these recovery codes somewhere safe: each one signs you in once if you lose your
      authenticator. <strong>They are shown only now.</strong>
    </p>
    <ol class="codes">
      ${options.codes.map((code) => html`<li><code>${formatRecoveryCode(code)}</code></li>`)}
    </ol>
    ${options.next}`;
  return page({ mountPath: options.mountPath, title: 'Save your recovery codes', body });
}

import { passwordSection } from './password-change.ts';
import type { Passkey } from '../accounts/index.ts';
import { csrfInput, passkeyButton } from '../pages/form-parts.ts';
import { html, page, type SafeHtml } from '../pages/layout.ts';
import type { AccountRequest, NoticeKey } from './account-request.ts';
import { NOTICES } from './account-request.ts';
import type { SessionSummary } from './sessions.ts';

export interface AccountOverview {
  readonly passkeys: readonly Passkey[];
  readonly totp: boolean;
  readonly recoveryCodesLeft: number;
  readonly sessions: readonly SessionSummary[];
  readonly notice?: NoticeKey | undefined;
}

/** The account overview: passkeys, two-step verification, recovery codes, sessions. */
export function renderAccountPage(request: AccountRequest, view: AccountOverview): string {
  const { settings } = request.identity;
  const { user, session } = request.account;
  const passkeysOn = settings.mfaMethods.includes('passkey');
  const totpOn = settings.mfaMethods.includes('totp');
  const notice = view.notice === undefined ? html`` : html`<p role="status">${NOTICES[view.notice]}</p>`;
  const body = html`<p>Signed in as <strong>${user.username}</strong>.</p>
    ${notice} ${passkeysOn ? passkeySection(request, view.passkeys) : html``}
    ${totpOn ? totpSection(request, view) : html``} ${passwordSection(request)}
    ${sessionSection(request, view.sessions, session.uid)}`;
  return page({ mountPath: settings.mountPath, title: 'Your account', body, passkeyScript: passkeysOn });
}

function passkeySection(request: AccountRequest, passkeys: readonly Passkey[]): SafeHtml {
  const { base, csrf } = request;
  const items = passkeys.map(
    (passkey) =>
      html`<li>
        ${passkey.name}
        <span class="muted"
          >added
          ${date(passkey.createdAt)}${passkey.lastUsedAt === null ? '' : `, last used ${date(passkey.lastUsedAt)}`}</span
        >
        <form class="inline" method="post" action="${base}/passkeys/remove">
          ${csrfInput(csrf)}<input type="hidden" name="credential" value="${passkey.credentialId}" /><button
            type="submit"
            class="secondary"
            aria-label="${`Remove passkey ${passkey.name}`}"
          >
            Remove
          </button>
        </form>
      </li>`,
  );
  return html`<section aria-labelledby="passkeys-heading">
    <h2 id="passkeys-heading">Passkeys</h2>
    ${
      passkeys.length === 0
        ? html`<p class="muted">No passkeys yet. A passkey signs you in without a password.</p>`
        : html`<ul class="plain">
            ${items}
          </ul>`
    }
    <label for="passkey-name">Name for a new passkey</label>
    <input id="passkey-name" name="name" type="text" maxlength="64" value="Passkey" autocomplete="off" />
    ${passkeyButton({
      mode: 'create',
      label: 'Add a passkey',
      optionsUrl: `${base}/passkeys/options`,
      verifyUrl: `${base}/passkeys/verify`,
      csrf,
      statusId: 'passkey-status',
      nameInputId: 'passkey-name',
    })}
    <noscript><p class="muted">Adding a passkey needs JavaScript.</p></noscript>
  </section>`;
}

function totpSection(request: AccountRequest, view: AccountOverview): SafeHtml {
  const { base, csrf } = request;
  if (!view.totp) {
    return html`<section aria-labelledby="totp-heading">
      <h2 id="totp-heading">Authenticator app</h2>
      <p>Off.</p>
      <form method="post" action="${base}/totp/begin">
        ${csrfInput(csrf)}<button type="submit">Set up an authenticator app</button>
      </form>
    </section>`;
  }
  return html`<section aria-labelledby="totp-heading">
    <h2 id="totp-heading">Authenticator app</h2>
    <p>On. ${String(view.recoveryCodesLeft)} unused recovery codes left.</p>
    <form method="post" action="${base}/recovery-codes">
      ${csrfInput(csrf)}<button type="submit" class="secondary">Make new recovery codes</button>
    </form>
    <form method="post" action="${base}/totp/remove">
      ${csrfInput(csrf)}<button type="submit" class="secondary">Turn off</button>
    </form>
  </section>`;
}

function sessionSection(
  request: AccountRequest,
  sessions: readonly SessionSummary[],
  currentUid: string,
): SafeHtml {
  const { base, csrf } = request;
  const items = sessions.map((summary) => {
    const current = summary.uid === currentUid;
    const apps = summary.clients.length === 0 ? 'no applications yet' : summary.clients.join(', ');
    return html`<li>
      ${current ? html`<strong>This browser</strong>` : html`Another browser`}
      <span class="muted"
        >signed in ${summary.loginTs === null ? 'at an unknown time' : date(summary.loginTs * 1000)} with
        ${summary.amr.join(' + ') || 'unknown'}; ${apps}</span
      >${
        current
          ? html``
          : html`<form class="inline" method="post" action="${base}/sessions/end">
              ${csrfInput(csrf)}<input type="hidden" name="session" value="${summary.uid}" /><button
                type="submit"
                class="secondary"
              >
                Sign out
              </button>
            </form>`
      }
    </li>`;
  });
  return html`<section aria-labelledby="sessions-heading">
    <h2 id="sessions-heading">Where you are signed in</h2>
    <ul class="plain">
      ${items}
    </ul>
    <form method="post" action="${base}/sessions/end-all">
      ${csrfInput(csrf)}<button type="submit">Sign out everywhere</button>
    </form>
  </section>`;
}

function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

import { html, type TemplateResult } from 'lit-html';
import type { AdminSession } from '../auth/session.ts';
import { formatTime, viewerTimeZone } from '../format.ts';
import { PAGES } from '../router.ts';

/** The frame of every page: skip link, header with who is signed in, navigation, the page. */
export function layout(
  current: string,
  session: AdminSession,
  content: TemplateResult,
  actions: { signOut: () => void; skip: () => void },
): TemplateResult {
  return html`
    <button type="button" class="skip-link" @click=${actions.skip}>Skip to content</button>
    <header class="top">
      <p class="brand">Rampart console</p>
      <p class="who">
        Signed in as <strong>${session.username}</strong>
        <span class="muted">until ${formatTime(session.expiresAt)} · times in ${viewerTimeZone()}</span>
      </p>
      <button type="button" class="secondary" @click=${actions.signOut}>Sign out</button>
    </header>
    <div class="frame">
      <nav class="side" aria-label="Console">
        <ul>
          ${PAGES.map(
            (page) =>
              html`<li>
                <a href="#/${page.id}" aria-current=${page.id === current ? 'page' : 'false'}
                  >${page.label}</a
                >
              </li>`,
          )}
        </ul>
      </nav>
      <main id="main" tabindex="-1">${content}</main>
    </div>
  `;
}

import { html, nothing, type TemplateResult } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { Page, UserSession } from '../api/identity-admin.ts';
import { formatTime } from '../format.ts';
import { CursorPages } from '../views/pager.ts';
import { empty, failure, loading } from '../views/states.ts';

/** Sessions per page of identity's `GET /sessions`. */
const PAGE_SIZE = 50;

/**
 * Sessions: everyone signed in, page by page (identity's `GET /sessions`: one call per page, however
 * many users there are), each session endable (its grants and refresh tokens go with it), or all of
 * a user's at once (signed out everywhere).
 */
export function sessionsPage(app: AppContext): PageView {
  let list: Loaded<Page<UserSession>> = { state: 'loading' };
  const pages = new CursorPages();
  let notice: TemplateResult | undefined;
  const reload = (): void => {
    track(
      app,
      () => app.identity.allSessions(pages.cursor, PAGE_SIZE),
      (value) => (list = value),
    );
  };
  const say = (text: string, kind: 'ok' | 'error' = 'ok'): void => {
    notice = html`<p class=${`notice notice-${kind}`} role=${kind === 'error' ? 'alert' : 'status'}>
      ${text}
    </p>`;
    reload();
  };
  const act = async (confirmText: string, done: string, change: () => Promise<unknown>): Promise<void> => {
    if (!window.confirm(confirmText)) return;
    try {
      await change();
      say(done);
    } catch (error) {
      say(error instanceof Error ? error.message : String(error), 'error');
    }
  };
  reload();

  const row = (session: UserSession): TemplateResult =>
    html`<tr>
      <th scope="row">${session.username}</th>
      <td>${formatTime(session.signedInAt)}</td>
      <td>${session.amr.join(' + ') || '—'}</td>
      <td>${formatTime(session.expiresAt)}</td>
      <td>${session.clients.join(', ') || '—'}</td>
      <td class="actions">
        <button
          type="button"
          class="danger small"
          aria-label=${`End this session of ${session.username}`}
          @click=${() =>
            void act(
              `End this session of ${session.username}?`,
              `A session of ${session.username} was ended.`,
              () => app.identity.endSession(session.userId, session.id),
            )}
        >
          End
        </button>
        <button
          type="button"
          class="danger small"
          aria-label=${`End all sessions of ${session.username}`}
          @click=${() =>
            void act(
              `End every session of ${session.username}? They are signed out everywhere.`,
              `${session.username} is signed out everywhere.`,
              () => app.identity.endSessions(session.userId),
            )}
        >
          End all
        </button>
      </td>
    </tr>`;

  const table = (page: Page<UserSession>): TemplateResult =>
    page.items.length === 0 && pages.onFirstPage
      ? empty('Nobody is signed in.')
      : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Sessions">
            <table>
              <caption class="visually-hidden">
                Open sessions
              </caption>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Methods</th>
                  <th scope="col">Until</th>
                  <th scope="col">Clients</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${page.items.map(row)}
              </tbody>
            </table>
          </div>
          ${pages.view(page.next, reload)}`;

  return {
    title: 'Sessions',
    render: () => html`
      <h1>Sessions</h1>
      ${notice ?? nothing}
      ${list.state === 'loading' ? loading('sessions') : list.state === 'failed' ? failure(list.error, 'identity admin API') : table(list.value)}
    `,
  };
}

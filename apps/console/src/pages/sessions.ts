import { html } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { Page, Session, User } from '../api/identity-admin.ts';
import { empty, failure, loading } from '../views/states.ts';
import { sessionsView } from './users.ts';

/** Users whose sessions are read at once (identity's admin API lists sessions per user). */
const USERS_AT_ONCE = 100;

/**
 * Sessions: every open sign-in session of the first {@link USERS_AT_ONCE} users, by user, each
 * one endable (its grants and refresh tokens go with it), or all of a user's at once.
 */
export function sessionsPage(app: AppContext): PageView {
  let users: Loaded<readonly User[]> = { state: 'loading' };
  const sessions = new Map<string, Loaded<Page<Session>>>();
  const load = (user: User): void => {
    track(
      app,
      () => app.identity.sessions(user.id),
      (value) => sessions.set(user.id, value),
    );
  };
  track(
    app,
    async () => {
      const page = await app.identity.users(null, USERS_AT_ONCE);
      const list = page.items;
      for (const user of list) load(user);
      return list;
    },
    (value) => (users = value),
  );
  const end = async (user: User, session: Session): Promise<void> => {
    if (!window.confirm(`End this session of ${user.username}?`)) return;
    await app.identity.endSession(user.id, session.id).catch(() => undefined);
    load(user);
  };
  const endAll = async (user: User): Promise<void> => {
    if (!window.confirm(`End every session of ${user.username}?`)) return;
    await app.identity.endSessions(user.id).catch(() => undefined);
    load(user);
  };
  const withSessions = (list: readonly User[]): readonly User[] =>
    list.filter((user) => {
      const state = sessions.get(user.id);
      return state?.state !== 'ready' || state.value.items.length > 0;
    });
  return {
    title: 'Sessions',
    render: () => html`
      <h1>Sessions</h1>
      ${
        users.state === 'loading'
          ? loading('sessions')
          : users.state === 'failed'
            ? failure(users.error, 'identity admin API')
            : withSessions(users.value).length === 0
              ? empty('Nobody is signed in.')
              : withSessions(users.value).map(
                  (user) =>
                    html`<section class="card" aria-label=${`Sessions of ${user.username}`}>
                      <h2>${user.username}</h2>
                      ${sessionsView(sessions.get(user.id) ?? { state: 'loading' }, (session) => void end(user, session))}
                      <button type="button" class="danger small" @click=${() => void endAll(user)}>
                        End all sessions of ${user.username}
                      </button>
                    </section>`,
                )
      }
    `,
  };
}

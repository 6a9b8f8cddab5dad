import { html, nothing, type TemplateResult } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { Devices, Page, Session, User } from '../api/identity-admin.ts';
import { formatTime } from '../format.ts';
import { field } from '../views/forms.ts';
import { CursorPages } from '../views/pager.ts';
import { empty, failure, loading, shownOnce } from '../views/states.ts';

/** A comma- or space-separated list typed in a field → its distinct, non-empty names. */
export function parseNames(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/u).filter((name) => name !== ''))];
}

interface Selected {
  readonly user: User;
  devices: Loaded<Devices>;
  sessions: Loaded<Page<Session>>;
}

/**
 * Users: list (paged), create, and for one user: disable/enable, reset the password, end every
 * session, remove authenticators, set groups and roles. Every change goes through identity's admin
 * API, which audits it (`admin.*` events).
 */
export function usersPage(app: AppContext): PageView {
  let list: Loaded<Page<User>> = { state: 'loading' };
  /** Cursors of the pages before this one (`null` = the first page). */
  const pages = new CursorPages();
  let selected: Selected | undefined;
  let notice: TemplateResult | undefined;
  let secret: { label: string; value: string } | undefined;
  let creating = false;

  const reload = (): void => {
    track(
      app,
      () => app.identity.users(pages.cursor),
      (value) => (list = value),
    );
  };
  const say = (text: string, kind: 'ok' | 'error' = 'ok'): void => {
    notice = html`<p class=${`notice notice-${kind}`} role=${kind === 'error' ? 'alert' : 'status'}>
      ${text}
    </p>`;
    app.update();
  };
  const act = async (what: string, run: () => Promise<unknown>): Promise<boolean> => {
    try {
      await run();
      say(what);
      return true;
    } catch (error) {
      say(error instanceof Error ? error.message : String(error), 'error');
      return false;
    }
  };
  const select = (user: User): void => {
    const entry: Selected = { user, devices: { state: 'loading' }, sessions: { state: 'loading' } };
    selected = entry;
    track(
      app,
      () => app.identity.devices(user.id),
      (value) => (entry.devices = value),
    );
    track(
      app,
      () => app.identity.sessions(user.id),
      (value) => (entry.sessions = value),
    );
    app.update();
    // The detail opens below the list: take the keyboard there.
    document.getElementById('user-detail')?.focus();
  };
  /** Reloads the list, and the open detail when it is this user's (it is not opened otherwise). */
  const refreshSelected = async (id: string): Promise<void> => {
    reload();
    if (selected?.user.id !== id) return;
    const page = await app.identity.users(pages.cursor).catch(() => undefined);
    const user = page?.items.find((candidate) => candidate.id === id);
    // Still this user's detail after the wait (the person may have closed or switched it).
    if (user !== undefined && (selected as Selected | undefined)?.user.id === id) select(user);
  };

  const setDisabled = async (user: User, disabled: boolean): Promise<void> => {
    if (
      disabled &&
      !window.confirm(`Disable ${user.username}? They are signed out everywhere and cannot sign in.`)
    )
      return;
    await act(`${user.username} is ${disabled ? 'disabled and signed out everywhere' : 'enabled'}.`, () =>
      app.identity.updateUser(user.id, { disabled }),
    );
    await refreshSelected(user.id);
  };
  const resetPassword = async (user: User): Promise<void> => {
    if (!window.confirm(`Reset the password of ${user.username}? They are signed out everywhere.`)) return;
    const answer = await app.identity.resetPassword(user.id).catch((error: unknown) => {
      say(error instanceof Error ? error.message : String(error), 'error');
      return undefined;
    });
    if (answer !== undefined) {
      secret = { label: `One-time password for ${user.username}`, value: answer.oneTimePassword };
      say(`The password of ${user.username} was reset.`);
    }
  };
  const endSessions = async (user: User): Promise<void> => {
    await act(`Every session of ${user.username} has ended.`, () => app.identity.endSessions(user.id));
    select(user);
  };
  const removeTotp = async (user: User): Promise<void> => {
    if (!window.confirm(`Remove the authenticator app of ${user.username}?`)) return;
    await act(`The authenticator app of ${user.username} was removed.`, () =>
      app.identity.removeTotp(user.id),
    );
    await refreshSelected(user.id);
  };
  const removePasskey = async (user: User, id: string, name: string): Promise<void> => {
    if (!window.confirm(`Remove the passkey "${name}" of ${user.username}?`)) return;
    await act(`The passkey "${name}" was removed.`, () => app.identity.removePasskey(user.id, id));
    await refreshSelected(user.id);
  };
  const saveMembership = async (user: User, form: HTMLFormElement): Promise<void> => {
    const data = new FormData(form);
    await act(`Groups and roles of ${user.username} saved.`, () =>
      app.identity.updateUser(user.id, {
        groups: parseNames(field(data, 'groups')),
        roles: parseNames(field(data, 'roles')),
      }),
    );
    await refreshSelected(user.id);
  };
  const create = async (form: HTMLFormElement): Promise<void> => {
    const data = new FormData(form);
    const text = (name: string): string => field(data, name);
    const groups = parseNames(text('groups'));
    const roles = parseNames(text('roles'));
    const answer = await app.identity
      .createUser({
        username: text('username'),
        ...(text('displayName') === '' ? {} : { displayName: text('displayName') }),
        ...(text('email') === '' ? {} : { email: text('email') }),
        ...(groups.length === 0 ? {} : { groups }),
        ...(roles.length === 0 ? {} : { roles }),
      })
      .catch((error: unknown) => {
        say(error instanceof Error ? error.message : String(error), 'error');
        return undefined;
      });
    if (answer === undefined) return;
    creating = false;
    if (answer.oneTimePassword !== undefined)
      secret = { label: `One-time password for ${answer.user.username}`, value: answer.oneTimePassword };
    say(`${answer.user.username} was created.`);
    reload();
  };

  reload();

  function row(user: User): TemplateResult {
    return html`<tr>
      <th scope="row">${user.username}</th>
      <td class="wide-only">${user.displayName ?? '—'}</td>
      <td>
        ${user.disabled ? html`<span class="badge badge-bad">disabled</span>` : html`<span class="badge badge-ok">active</span>`}
      </td>
      <td>
        ${user.mfa.totp ? 'app' : ''}${user.mfa.totp && user.mfa.passkeys > 0 ? ', ' : ''}${user.mfa.passkeys > 0 ? `${user.mfa.passkeys} passkey(s)` : ''}${!user.mfa.totp && user.mfa.passkeys === 0 ? 'none' : ''}
      </td>
      <td>${user.groups.join(', ') || '—'}</td>
      <td>${user.roles.join(', ') || '—'}</td>
      <td class="wide-only">${formatTime(user.createdAt)}</td>
      <td class="actions">
        <button
          type="button"
          class="secondary"
          aria-label=${`Manage ${user.username}`}
          @click=${() => {
            select(user);
          }}
        >
          Manage
        </button>
        ${
          user.disabled
            ? html`<button
                type="button"
                aria-label=${`Enable ${user.username}`}
                @click=${() => void setDisabled(user, false)}
              >
                Enable
              </button>`
            : html`<button
                type="button"
                class="danger"
                aria-label=${`Disable ${user.username}`}
                @click=${() => void setDisabled(user, true)}
              >
                Disable
              </button>`
        }
      </td>
    </tr>`;
  }

  function table(page: Page<User>): TemplateResult {
    if (page.items.length === 0) return empty('No users yet. Create the first one above.');
    return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Users">
        <table>
          <caption class="visually-hidden">
            Users
          </caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col" class="wide-only">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Second factor</th>
              <th scope="col">Groups</th>
              <th scope="col">Roles</th>
              <th scope="col" class="wide-only">Created</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${page.items.map(row)}
          </tbody>
        </table>
      </div>
      ${pages.view(page.next, reload)}`;
  }

  function createForm(): TemplateResult {
    if (!creating)
      return html`<button
        type="button"
        @click=${() => {
          creating = true;
          app.update();
        }}
      >
        Create a user
      </button>`;
    return html`<form
      class="card form-grid"
      aria-label="Create a user"
      @submit=${(event: SubmitEvent) => {
        event.preventDefault();
        void create(event.target as HTMLFormElement);
      }}
    >
      <h2>Create a user</h2>
      <label>Username <input name="username" required autocomplete="off" maxlength="128" /></label>
      <label>Display name <input name="displayName" autocomplete="off" maxlength="200" /></label>
      <label>E-mail <input name="email" type="email" autocomplete="off" maxlength="254" /></label>
      <label>Groups <input name="groups" autocomplete="off" aria-describedby="names-hint" /></label>
      <label>Roles <input name="roles" autocomplete="off" aria-describedby="names-hint" /></label>
      <p id="names-hint" class="hint">
        Separate names with commas. A one-time password is shown once; the user changes it at the first
        sign-in.
      </p>
      <div class="buttons">
        <button type="submit">Create</button>
        <button
          type="button"
          class="secondary"
          @click=${() => {
            creating = false;
            app.update();
          }}
        >
          Cancel
        </button>
      </div>
    </form>`;
  }

  function detail(entry: Selected): TemplateResult {
    const { user } = entry;
    return html`<section class="card" aria-labelledby="user-detail">
      <h2 id="user-detail" tabindex="-1">${user.username}</h2>
      <p class="muted">
        ${user.disabled ? 'Disabled' : 'Active'} · created
        ${formatTime(user.createdAt)}${user.mustChangePassword ? ' · must change the password' : ''}
      </p>
      <div class="buttons">
        ${
          user.disabled
            ? html`<button type="button" @click=${() => void setDisabled(user, false)}>
                Enable ${user.username}
              </button>`
            : html`<button type="button" class="danger" @click=${() => void setDisabled(user, true)}>
                Disable ${user.username}
              </button>`
        }
        <button type="button" class="secondary" @click=${() => void resetPassword(user)}>
          Reset password
        </button>
        <button type="button" class="secondary" @click=${() => void endSessions(user)}>
          End all sessions
        </button>
        <button
          type="button"
          class="secondary"
          @click=${() => {
            selected = undefined;
            app.update();
          }}
        >
          Close
        </button>
      </div>
      <form
        class="form-grid"
        aria-label=${`Groups and roles of ${user.username}`}
        @submit=${(event: SubmitEvent) => {
          event.preventDefault();
          void saveMembership(user, event.target as HTMLFormElement);
        }}
      >
        <h3>Groups and roles</h3>
        <label>Groups <input name="groups" .value=${user.groups.join(', ')} autocomplete="off" /></label>
        <label>Roles <input name="roles" .value=${user.roles.join(', ')} autocomplete="off" /></label>
        <div class="buttons"><button type="submit">Save groups and roles</button></div>
      </form>
      <h3>Authenticators</h3>
      ${devicesView(user, entry.devices)}
      <h3>Sessions</h3>
      ${sessionsView(entry.sessions)}
    </section>`;
  }

  function devicesView(user: User, devices: Loaded<Devices>): TemplateResult {
    if (devices.state === 'loading') return loading('authenticators');
    if (devices.state === 'failed') return failure(devices.error, 'identity admin API');
    const { totp, passkeys } = devices.value;
    return html`<ul class="plain">
      <li>
        Authenticator app: ${totp.enabled ? `on (${totp.recoveryCodesLeft} recovery codes left)` : 'off'}
        ${totp.enabled ? html`<button type="button" class="danger small" @click=${() => void removeTotp(user)}>Remove the authenticator app</button>` : nothing}
      </li>
      ${
        passkeys.length === 0
          ? html`<li>No passkeys.</li>`
          : passkeys.map(
              (key) =>
                html`<li>
                  Passkey “${key.name}”, added ${formatTime(key.createdAt)}, last used
                  ${formatTime(key.lastUsedAt)}
                  <button
                    type="button"
                    class="danger small"
                    aria-label=${`Remove passkey ${key.name}`}
                    @click=${() => void removePasskey(user, key.id, key.name)}
                  >
                    Remove
                  </button>
                </li>`,
            )
      }
    </ul>`;
  }

  return {
    title: 'Users',
    render: () => html`
      <h1>Users</h1>
      ${notice ?? nothing}
      ${
        secret === undefined
          ? nothing
          : shownOnce(secret.label, secret.value, () => {
              secret = undefined;
              app.update();
            })
      }
      <div class="toolbar">${createForm()}</div>
      ${list.state === 'loading' ? loading('users') : list.state === 'failed' ? failure(list.error, 'identity admin API') : table(list.value)}
      ${selected === undefined ? nothing : detail(selected)}
    `,
  };
}

/** A user's sessions, as the Users and Sessions pages show them. */
export function sessionsView(
  sessions: Loaded<Page<Session>>,
  end?: (session: Session) => void,
): TemplateResult {
  if (sessions.state === 'loading') return loading('sessions');
  if (sessions.state === 'failed') return failure(sessions.error, 'identity admin API');
  if (sessions.value.items.length === 0) return empty('No open sessions.');
  return html`<ul class="plain">
    ${sessions.value.items.map(
      (session) =>
        html`<li>
          Signed in ${formatTime(session.signedInAt)} with ${session.amr.join(' + ') || '—'}, until
          ${formatTime(session.expiresAt)}; clients: ${session.clients.join(', ') || '—'}
          ${
            end === undefined
              ? nothing
              : html`<button
                  type="button"
                  class="danger small"
                  @click=${() => {
                    end(session);
                  }}
                >
                  End this session
                </button>`
          }
        </li>`,
    )}
  </ul>`;
}

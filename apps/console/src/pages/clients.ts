import { html, nothing, type TemplateResult } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { Client, Page } from '../api/identity-admin.ts';
import { formatTime } from '../format.ts';
import { field } from '../views/forms.ts';
import { empty, failure, loading, shownOnce } from '../views/states.ts';
import { parseNames } from './users.ts';

/**
 * Clients (applications): list, create, rotate a secret (shown once), disable or enable, delete.
 * Disabling takes a client out of service at once (no new token, its grants and refresh tokens
 * deleted, the gateways refuse every access token already issued to it) and keeps its registration
 * for enabling it again. rampart.yaml's and the built-in clients are read-only (change them in
 * rampart.yaml).
 */
export function clientsPage(app: AppContext): PageView {
  let list: Loaded<Page<Client>> = { state: 'loading' };
  let secret: { label: string; value: string } | undefined;
  let notice: TemplateResult | undefined;
  let creating = false;
  const reload = (): void => {
    track(
      app,
      () => app.identity.clients(),
      (value) => (list = value),
    );
  };
  const say = (text: string, kind: 'ok' | 'error' = 'ok'): void => {
    notice = html`<p class=${`notice notice-${kind}`} role=${kind === 'error' ? 'alert' : 'status'}>
      ${text}
    </p>`;
    app.update();
  };
  const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
  const rotate = async (client: Client): Promise<void> => {
    if (!window.confirm(`Rotate the secret of ${client.clientId}? The current secret stops working at once.`))
      return;
    try {
      const answer = await app.identity.rotateSecret(client.clientId);
      if (answer !== undefined)
        secret = { label: `New secret of ${client.clientId}`, value: answer.clientSecret };
      say(`The secret of ${client.clientId} was rotated.`);
    } catch (error) {
      say(message(error), 'error');
    }
  };
  const setDisabled = async (client: Client, disabled: boolean): Promise<void> => {
    if (
      disabled &&
      !window.confirm(
        `Disable ${client.clientId}? It gets no new token, and every token it holds is refused at once.`,
      )
    )
      return;
    try {
      await app.identity.setClientDisabled(client.clientId, disabled);
      say(`${client.clientId} is ${disabled ? 'disabled: its tokens are refused' : 'enabled'}.`);
      reload();
    } catch (error) {
      say(message(error), 'error');
    }
  };
  const remove = async (client: Client): Promise<void> => {
    if (!window.confirm(`Delete ${client.clientId}? Its tokens and grants stop working at once.`)) return;
    try {
      await app.identity.deleteClient(client.clientId);
      say(`${client.clientId} was deleted.`);
      reload();
    } catch (error) {
      say(message(error), 'error');
    }
  };
  const create = async (form: HTMLFormElement): Promise<void> => {
    const data = new FormData(form);
    const type = field(data, 'type') === 'public' ? 'public' : 'confidential';
    const grants = parseNames(field(data, 'grants'));
    const redirectUris = parseNames(field(data, 'redirectUris'));
    try {
      const answer = await app.identity.createClient({
        clientId: field(data, 'clientId'),
        type,
        grants,
        scopes: parseNames(field(data, 'scopes')),
        ...(redirectUris.length === 0 ? {} : { redirectUris }),
        requireMfa: data.get('requireMfa') === 'on',
      });
      if (answer?.clientSecret !== undefined)
        secret = { label: `Secret of ${answer.client.clientId}`, value: answer.clientSecret };
      creating = false;
      say(`${answer?.client.clientId ?? 'The client'} was created.`);
      reload();
    } catch (error) {
      say(message(error), 'error');
    }
  };
  reload();

  const form = (): TemplateResult =>
    creating
      ? html`<form
          class="card form-grid"
          aria-label="Create a client"
          @submit=${(event: SubmitEvent) => {
            event.preventDefault();
            void create(event.target as HTMLFormElement);
          }}
        >
          <h2>Create a client</h2>
          <label
            >Client id <input name="clientId" required pattern="[a-z][a-z0-9\\-]{0,62}" autocomplete="off"
          /></label>
          <label
            >Type
            <select name="type">
              <option value="confidential">confidential</option>
              <option value="public">public</option>
            </select>
          </label>
          <label>Grants <input name="grants" required value="client_credentials" autocomplete="off" /></label>
          <label>Scopes <input name="scopes" required autocomplete="off" /></label>
          <label>Redirect URIs <input name="redirectUris" autocomplete="off" /></label>
          <label class="check"><input type="checkbox" name="requireMfa" /> Require a second factor</label>
          <p class="hint">Separate values with commas. A confidential client's secret is shown once.</p>
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
        </form>`
      : html`<button
          type="button"
          @click=${() => {
            creating = true;
            app.update();
          }}
        >
          Create a client
        </button>`;

  const table = (page: Page<Client>): TemplateResult =>
    page.items.length === 0
      ? empty('No clients.')
      : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Clients">
          <table>
            <caption class="visually-hidden">
              Clients
            </caption>
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Source</th>
                <th scope="col">Type</th>
                <th scope="col">Grants</th>
                <th scope="col">Scopes</th>
                <th scope="col">MFA</th>
                <th scope="col">Created</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              ${page.items.map(
                (client) =>
                  html`<tr>
                    <th scope="row">
                      ${client.clientId}
                      ${client.disabled ? html`<span class="badge badge-bad">disabled</span>` : nothing}
                    </th>
                    <td>
                      ${client.source === 'api' ? 'admin API' : client.source === 'config' ? 'rampart.yaml' : 'built in'}
                    </td>
                    <td>${client.type}</td>
                    <td>${client.grants.join(', ')}</td>
                    <td>${client.scopes.join(', ') || '—'}</td>
                    <td>${client.requireMfa ? 'required' : '—'}</td>
                    <td>${formatTime(client.createdAt)}</td>
                    <td class="actions">
                      ${
                        client.source !== 'api'
                          ? html`<span class="muted">read-only</span>`
                          : html`${
                                client.type === 'confidential' && client.authMethod === 'client_secret_basic'
                                  ? html`<button
                                      type="button"
                                      class="secondary"
                                      aria-label=${`Rotate the secret of ${client.clientId}`}
                                      @click=${() => void rotate(client)}
                                    >
                                      Rotate secret
                                    </button>`
                                  : nothing
                              }
                              ${
                                client.disabled
                                  ? html`<button
                                      type="button"
                                      class="secondary"
                                      aria-label=${`Enable ${client.clientId}`}
                                      @click=${() => void setDisabled(client, false)}
                                    >
                                      Enable
                                    </button>`
                                  : html`<button
                                      type="button"
                                      class="danger"
                                      aria-label=${`Disable ${client.clientId}`}
                                      @click=${() => void setDisabled(client, true)}
                                    >
                                      Disable
                                    </button>`
                              }
                              <button
                                type="button"
                                class="danger"
                                aria-label=${`Delete ${client.clientId}`}
                                @click=${() => void remove(client)}
                              >
                                Delete
                              </button>`
                      }
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>`;

  return {
    title: 'Clients',
    render: () => html`
      <h1>Clients</h1>
      ${notice ?? nothing}
      ${
        secret === undefined
          ? nothing
          : shownOnce(secret.label, secret.value, () => {
              secret = undefined;
              app.update();
            })
      }
      <div class="toolbar">${form()}</div>
      ${list.state === 'loading' ? loading('clients') : list.state === 'failed' ? failure(list.error, 'identity admin API') : table(list.value)}
    `,
  };
}

import { html, nothing } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { EventPage, EventQuery, Justification, RevealedUser, Verification } from '../api/audit.ts';
import { localInputToIso } from '../format.ts';
import { field } from '../views/forms.ts';
import { eventTable } from '../views/event-table.ts';
import { justificationFields, justificationOf } from '../views/justification.ts';
import { failure, loading } from '../views/states.ts';

/** The text filters of the search form, each a query parameter of `GET /audit/v1/events`. */
const TEXT_FILTERS = [
  ['event', 'Event type'],
  ['subject', 'Subject'],
  ['clientId', 'Client'],
  ['sourceIp', 'Source IP'],
  ['route', 'Route'],
  ['traceId', 'Trace id'],
  ['requestId', 'Request id'],
  ['service', 'Component'],
] as const;

const PAGE_SIZE = 50;

/** A reveal asked for and not yet answered or dismissed. */
interface Revealing {
  readonly subject: string;
  state: 'asking' | 'sending' | { readonly error: unknown };
}

/**
 * Audit search: filters, paging by cursor, and the chain's verification status. `#/audit?traceId=…`
 * (or any filter) opens with that filter; `?seq=12` marks event 12 where it is listed.
 *
 * Re-identification: a search by username (with a reason) lists that user's events, and each
 * subject's Reveal asks for a reason and shows who the pseudonym is. Both are recorded in the
 * trail as `audit.reidentified` before the answer comes; what they reveal stays in this page's
 * memory and is gone when the page is left.
 */
export function auditSearchPage(app: AppContext, query: URLSearchParams): PageView {
  const filters: Record<string, string> = {};
  for (const [key] of TEXT_FILTERS) filters[key] = query.get(key) ?? '';
  filters['outcome'] = query.get('outcome') ?? '';
  const seq = query.get('seq');
  const highlight = seq === null ? undefined : Number(seq);
  let results: Loaded<EventPage> = { state: 'loading' };
  let chain: Loaded<Verification> = { state: 'loading' };
  const cursors: string[] = [];
  let range: { from?: string; to?: string } = {};
  /** The user search's username and justification (empty: an ordinary search). */
  let byUser: { user: string; justification: Justification } | undefined;
  let formError: string | undefined;
  const revealed = new Map<string, RevealedUser>();
  let revealing: Revealing | undefined;

  const revealForm = (current: Revealing) =>
    revealFormFor(current, reveal, () => {
      revealing = undefined;
      app.update();
    });
  const reveal = (subject: string, justification: Justification): void => {
    if (revealing === undefined) return;
    revealing.state = 'sending';
    app.update();
    app.audit.reveal(subject, justification).then(
      (answer) => {
        revealed.set(subject, answer.user);
        revealing = undefined;
        app.update();
      },
      (error: unknown) => {
        if (revealing?.subject === subject) revealing.state = { error };
        app.update();
      },
    );
  };

  const search = (cursor?: string): void => {
    const q: EventQuery = {
      ...filters,
      ...range,
      ...(byUser === undefined ? {} : { user: byUser.user, ...byUser.justification }),
      limit: PAGE_SIZE,
      ...(cursor === undefined ? {} : { cursor }),
    };
    track(
      app,
      () => app.audit.events(q),
      (value) => (results = value),
    );
  };
  search();
  track(
    app,
    () => app.audit.verify(),
    (value) => (chain = value),
  );

  return {
    title: 'Audit search',
    render: () => html`
      <h1>Audit search</h1>
      <section aria-labelledby="chain-status" class="card">
        <h2 id="chain-status">Chain verification</h2>
        ${
          chain.state === 'loading'
            ? loading('the verification')
            : chain.state === 'failed'
              ? failure(chain.error, 'audit service')
              : chain.value.ok
                ? html`<p>
                    <span class="badge badge-ok">verified</span> ${chain.value.events} events,
                    ${chain.value.checkpoints} checkpoints: nothing modified, deleted, inserted or reordered.
                  </p>`
                : html`<p role="alert">
                    <span class="badge badge-bad">tampering detected</span> ${chain.value.problem ?? ''}
                  </p>`
        }
      </section>
      <form
        class="filters"
        aria-label="Search events"
        @submit=${(event: SubmitEvent) => {
          event.preventDefault();
          const data = new FormData(event.target as HTMLFormElement);
          for (const [key] of TEXT_FILTERS) filters[key] = field(data, key);
          filters['outcome'] = field(data, 'outcome');
          const user = field(data, 'user');
          const justification = justificationOf(data);
          formError =
            user !== '' && justification === undefined
              ? 'Searching by username re-identifies a person: choose a reason.'
              : user !== '' && filters['subject'] !== ''
                ? 'Search by username or by subject, not both.'
                : user === '' && justification !== undefined
                  ? 'A reason goes with a username; clear it to search without one.'
                  : undefined;
          if (formError !== undefined) {
            app.update();
            document.getElementById('audit-form-error')?.focus();
            return;
          }
          byUser = user === '' || justification === undefined ? undefined : { user, justification };
          const from = localInputToIso(field(data, 'from'));
          const to = localInputToIso(field(data, 'to'));
          range = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
          cursors.length = 0;
          search();
        }}
      >
        <label>From <input type="datetime-local" name="from" /></label>
        <label>To <input type="datetime-local" name="to" /></label>
        ${TEXT_FILTERS.map(([key, label]) => html`<label>${label} <input name=${key} .value=${filters[key] ?? ''} autocomplete="off" /></label>`)}
        <label>User (username) <input name="user" .value=${byUser?.user ?? ''} autocomplete="off" /></label>
        ${justificationFields('search', false)}
        <label
          >Outcome
          <select name="outcome">
            <option value="" ?selected=${filters['outcome'] === ''}>any</option>
            <option value="success" ?selected=${filters['outcome'] === 'success'}>success</option>
            <option value="failure" ?selected=${filters['outcome'] === 'failure'}>failure</option>
          </select>
        </label>
        <div class="buttons"><button type="submit">Search</button></div>
      </form>
      ${
        formError === undefined
          ? nothing
          : html`<p id="audit-form-error" class="state state-error" role="alert" tabindex="-1">
              ${formError}
            </p>`
      }
      ${revealing === undefined ? nothing : revealForm(revealing)}
      ${
        results.state === 'loading'
          ? loading('events')
          : results.state === 'failed'
            ? failure(results.error, 'audit service')
            : html`${
                  results.value.user === undefined
                    ? nothing
                    : html`<p class="notice notice-ok" role="status">
                        Events of <strong>${results.value.user.username}</strong> (user id
                        <code>${results.value.user.id}</code>, pseudonym
                        <code>${results.value.user.subject}</code>). This lookup is recorded in the audit
                        trail with your name and reason.
                      </p>`
                }
                ${eventTable(results.value.events, 'Matching events', highlight, {
                  revealed,
                  reveal: (subject) => {
                    revealing = { subject, state: 'asking' };
                    app.update();
                    document.getElementById('reveal-reason')?.focus();
                  },
                })}
                <div class="pager">
                  <button
                    type="button"
                    class="secondary"
                    ?disabled=${cursors.length === 0}
                    @click=${() => {
                      cursors.pop();
                      search(cursors.at(-1));
                    }}
                  >
                    Previous page
                  </button>
                  ${
                    results.value.next === null
                      ? nothing
                      : html`<button
                          type="button"
                          class="secondary"
                          @click=${() => {
                            const next = results.state === 'ready' ? results.value.next : null;
                            if (next === null) return;
                            cursors.push(next);
                            search(next);
                          }}
                        >
                          Next page
                        </button>`
                  }
                </div>`
      }
    `,
  };
}

/**
 * The Reveal dialog, in the page: why (required) and a case reference, then who the pseudonym is.
 * Asking again after a refusal shows the audit service's answer (a 404 for nobody, a 429 past the
 * limit).
 */
function revealFormFor(
  revealing: Revealing,
  send: (subject: string, justification: Justification) => void,
  cancel: () => void,
) {
  return html`<section class="card" aria-labelledby="reveal-title">
    <h2 id="reveal-title">Reveal <code>${revealing.subject}</code></h2>
    <p>
      Re-identifying a person is recorded in the audit trail, with you as the admin, the pseudonym and the
      reason, before the answer is shown.
    </p>
    <form
      class="filters"
      aria-label="Reveal a subject"
      @submit=${(event: SubmitEvent) => {
        event.preventDefault();
        const justification = justificationOf(new FormData(event.target as HTMLFormElement));
        if (justification !== undefined) send(revealing.subject, justification);
      }}
    >
      ${justificationFields('reveal', true)}
      <div class="buttons">
        <button type="submit" ?disabled=${revealing.state === 'sending'}>Reveal</button>
        <button type="button" class="secondary" @click=${cancel}>Cancel</button>
      </div>
    </form>
    ${typeof revealing.state === 'object' ? failure(revealing.state.error, 'audit service') : nothing}
  </section>`;
}

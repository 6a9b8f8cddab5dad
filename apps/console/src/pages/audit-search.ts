import { html, nothing } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { EventPage, EventQuery, Verification } from '../api/audit.ts';
import { localInputToIso } from '../format.ts';
import { field } from '../views/forms.ts';
import { eventTable } from '../views/event-table.ts';
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

/**
 * Audit search: filters, paging by cursor, and the chain's verification status. `#/audit?traceId=…`
 * (or any filter) opens with that filter; `?seq=12` marks event 12 where it is listed.
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

  const search = (cursor?: string): void => {
    const q: EventQuery = {
      ...filters,
      ...range,
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
        results.state === 'loading'
          ? loading('events')
          : results.state === 'failed'
            ? failure(results.error, 'audit service')
            : html`${eventTable(results.value.events, 'Matching events', highlight)}
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

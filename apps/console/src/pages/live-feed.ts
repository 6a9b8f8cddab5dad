import { html, nothing } from 'lit-html';
import type { AppContext, PageView } from '../app.ts';
import type { AuditEvent } from '../api/audit.ts';
import { readEventStream } from '../api/event-stream.ts';
import { ApiError } from '../api/http.ts';
import { eventTable } from '../views/event-table.ts';
import { failure } from '../views/states.ts';

/** Events kept on screen; older ones scroll away. */
const KEEP = 200;
const RETRY_MS = 3_000;

/** The live security feed: the audit service's event stream (SSE), newest first, filterable. */
export function liveFeedPage(app: AppContext): PageView {
  const events: AuditEvent[] = [];
  let type = '';
  let outcome = '';
  let status: 'connecting' | 'live' | 'failed' = 'connecting';
  let error: unknown;
  let last: number | undefined;
  const stop = new AbortController();
  /** Read through a function: the loop's condition does not narrow it (it changes while awaiting). */
  const stopped = (): boolean => stop.signal.aborted;

  const connect = async (): Promise<void> => {
    while (!stopped()) {
      status = 'connecting';
      app.update();
      try {
        await readEventStream(
          app.audit.streamUrl(last),
          app.session.accessToken,
          stop.signal,
          (message) => {
            if (message.event !== 'audit') return;
            const event = JSON.parse(message.data) as AuditEvent;
            last = event.seq;
            events.unshift(event);
            events.length = Math.min(events.length, KEEP);
            status = 'live';
            app.update();
          },
          // Live as soon as the stream is open: a quiet trail sends nothing but heartbeats.
          () => {
            status = 'live';
            app.update();
          },
        );
      } catch (caught) {
        if (stopped()) return;
        const code = (caught as { status?: number }).status ?? 0;
        error = new ApiError(code === 0 ? 'unreachable' : 'unavailable', code, String(caught));
        status = 'failed';
        app.update();
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  };
  void connect();

  const shown = (): AuditEvent[] =>
    events.filter(
      (event) =>
        (type === '' || event.event.startsWith(type)) && (outcome === '' || event.outcome === outcome),
    );

  return {
    title: 'Live feed',
    dispose: () => {
      stop.abort();
    },
    render: () => html`
      <h1>Live feed</h1>
      <form
        class="filters"
        aria-label="Filter the feed"
        @submit=${(event: SubmitEvent) => {
          event.preventDefault();
        }}
      >
        <label
          >Event type
          <input
            name="type"
            placeholder="request.denied"
            .value=${type}
            @input=${(event: InputEvent) => {
              type = (event.target as HTMLInputElement).value.trim();
              app.update();
            }}
        /></label>
        <label
          >Outcome
          <select
            name="outcome"
            @change=${(event: Event) => {
              outcome = (event.target as HTMLSelectElement).value;
              app.update();
            }}
          >
            <option value="" ?selected=${outcome === ''}>any</option>
            <option value="success" ?selected=${outcome === 'success'}>success</option>
            <option value="failure" ?selected=${outcome === 'failure'}>failure</option>
          </select>
        </label>
      </form>
      <p role="status" class="muted">
        ${status === 'live' ? 'Live: new events appear at the top.' : status === 'connecting' ? 'Connecting to the audit stream…' : 'Disconnected; retrying every few seconds.'}
      </p>
      ${status === 'failed' ? failure(error, 'audit service') : nothing}
      ${status === 'live' || events.length > 0 ? eventTable(shown(), 'Live events') : nothing}
    `,
  };
}

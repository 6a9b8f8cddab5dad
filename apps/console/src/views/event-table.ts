import { html, nothing, type TemplateResult } from 'lit-html';
import type { AuditEvent, RevealedUser } from '../api/audit.ts';
import { formatTime } from '../format.ts';
import { empty } from './states.ts';

/** What the audit search adds to the table: subjects revealed so far, and the Reveal action. */
export interface SubjectActions {
  /** Pseudonyms re-identified on this page (in memory only, gone when the page is left). */
  readonly revealed: ReadonlyMap<string, RevealedUser>;
  reveal(subject: string): void;
}

/**
 * A table of audit events, newest as given; `highlight` marks one by its seq (an alert's evidence).
 * The subject is shown as its pseudonym; with `subjects`, each has a Reveal button, and a revealed
 * one shows the username.
 */
export function eventTable(
  events: readonly AuditEvent[],
  label: string,
  highlight?: number,
  subjects?: SubjectActions,
): TemplateResult {
  if (events.length === 0) return empty('No events match.');
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${label}>
    <table>
      <caption class="visually-hidden">
        ${label}
      </caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Time</th>
          <th scope="col">Event</th>
          <th scope="col">Outcome</th>
          <th scope="col">Subject</th>
          <th scope="col">Reason</th>
          <th scope="col">Component</th>
          <th scope="col">Route</th>
          <th scope="col">Client</th>
          <th scope="col">Source IP</th>
          <th scope="col">Trace</th>
        </tr>
      </thead>
      <tbody>
        ${events.map(
          (event) =>
            html`<tr class=${event.seq === highlight ? 'highlight' : ''}>
              <td>${event.seq}</td>
              <td>${formatTime(event.time)}</td>
              <td>${event.event}</td>
              <td>
                <span class=${event.outcome === 'success' ? 'badge badge-ok' : 'badge badge-bad'}
                  >${event.outcome}</span
                >
              </td>
              <td>${subjectCell(event.subject, subjects)}</td>
              <td>
                ${event.reason ?? '—'}
                ${event.target === undefined ? nothing : html`<br /><small>looked up <code title=${event.target}>${short(event.target)}</code></small>`}
                ${event.ticket === undefined ? nothing : html`<br /><small>case ${event.ticket}</small>`}
              </td>
              <td>${event.service ?? '—'}</td>
              <td>${event.route ?? '—'}</td>
              <td>${event.clientId ?? '—'}</td>
              <td>${event.sourceIp ?? '—'}</td>
              <td>
                ${event.traceId === undefined ? '—' : html`<a href=${`#/audit?traceId=${encodeURIComponent(event.traceId)}`}>${event.traceId.slice(0, 8)}…</a>`}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** `ps_Qm9iIH…`: enough to tell pseudonyms apart in a row; the whole value is its title. */
function short(subject: string): string {
  return `${subject.slice(0, 10)}…`;
}

function subjectCell(
  subject: string | undefined,
  actions: SubjectActions | undefined,
): TemplateResult | string {
  if (subject === undefined) return '—';
  const user = actions?.revealed.get(subject);
  if (user !== undefined) {
    return html`<strong>${user.username}</strong><br /><small
        ><code title=${subject}>${short(subject)}</code></small
      >`;
  }
  return html`<code title=${subject}>${short(subject)}</code> ${
      actions === undefined
        ? nothing
        : html`<button
            type="button"
            class="small secondary"
            aria-label=${`Reveal ${subject}`}
            @click=${() => {
              actions.reveal(subject);
            }}
          >
            Reveal
          </button>`
    }`;
}

/** A denial: a failed outcome (`request.denied`, `mesh.denied`, `login.failed`…). */
export function isDenial(event: AuditEvent): boolean {
  return event.outcome !== 'success';
}

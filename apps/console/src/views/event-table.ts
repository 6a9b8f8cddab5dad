import { html, type TemplateResult } from 'lit-html';
import type { AuditEvent } from '../api/audit.ts';
import { formatTime } from '../format.ts';
import { empty } from './states.ts';

/** A table of audit events, newest as given; `highlight` marks one by its seq (an alert's evidence). */
export function eventTable(events: readonly AuditEvent[], label: string, highlight?: number): TemplateResult {
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
              <td>${event.reason ?? '—'}</td>
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

/** A denial: a failed outcome (`request.denied`, `mesh.denied`, `login.failed`…). */
export function isDenial(event: AuditEvent): boolean {
  return event.outcome !== 'success';
}

import { html } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { Alert } from '../api/audit.ts';
import { formatTime } from '../format.ts';
import { empty, failure, loading } from '../views/states.ts';

/** Alerts of the detection rules, with links to each event that is their evidence. */
export function alertsPage(app: AppContext): PageView {
  let alerts: Loaded<{ alerts: readonly Alert[] }> = { state: 'loading' };
  track(
    app,
    () => app.audit.alerts(),
    (value) => (alerts = value),
  );
  return {
    title: 'Alerts',
    render: () => html`
      <h1>Alerts</h1>
      ${
        alerts.state === 'loading'
          ? loading('alerts')
          : alerts.state === 'failed'
            ? failure(alerts.error, 'audit service')
            : alerts.value.alerts.length === 0
              ? empty('No alerts: no detection rule has fired.')
              : html`<ul class="alerts">
                  ${alerts.value.alerts.map(
                    (alert) =>
                      html`<li class=${`card alert severity-${alert.severity}`}>
                        <h2>${alert.title}</h2>
                        <p>
                          <span class="badge badge-bad">${alert.severity}</span> rule
                          <code>${alert.rule}</code> · ${formatTime(alert.time)} · ${alert.count} events ·
                          group ${alert.group}
                        </p>
                        <p>
                          Evidence:
                          ${alert.evidence.map(
                            (item) =>
                              html`<a href=${`#/audit?seq=${item.seq}`} aria-label=${`Event ${item.seq}`}
                                >#${item.seq}</a
                              > `,
                          )}
                        </p>
                      </li>`,
                  )}
                </ul>`
      }
    `,
  };
}

import { html, type TemplateResult } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { Alert, EventPage, Verification } from '../api/audit.ts';
import type { Page, User } from '../api/identity-admin.ts';
import { eventTable } from '../views/event-table.ts';
import { failure, failureTitle, loading } from '../views/states.ts';

/**
 * The overview: each component's health as far as the console can see it (identity answers its
 * admin API, the audit service its own; the gateway served this page), open alerts, the audit
 * chain's verification and the latest denials.
 */
export function overviewPage(app: AppContext): PageView {
  let users: Loaded<Page<User>> = { state: 'loading' };
  let alerts: Loaded<{ alerts: readonly Alert[] }> = { state: 'loading' };
  let denials: Loaded<EventPage> = { state: 'loading' };
  let chain: Loaded<Verification> = { state: 'loading' };
  track(
    app,
    () => app.identity.users(),
    (value) => (users = value),
  );
  track(
    app,
    () => app.audit.alerts(),
    (value) => (alerts = value),
  );
  track(
    app,
    () => app.audit.events({ outcome: 'failure', limit: 10 }),
    (value) => (denials = value),
  );
  track(
    app,
    () => app.audit.verify(),
    (value) => (chain = value),
  );

  const health = (name: string, state: Loaded<unknown>, service: string): TemplateResult => {
    const [label, css] =
      state.state === 'loading'
        ? ['checking…', 'badge']
        : state.state === 'ready'
          ? ['answering', 'badge badge-ok']
          : [failureTitle(state.error, service), 'badge badge-bad'];
    return html`<li><strong>${name}</strong> <span class=${css}>${label}</span></li>`;
  };

  return {
    title: 'Overview',
    render: () => html`
      <h1>Overview</h1>
      <div class="cards">
        <section class="card" aria-labelledby="health">
          <h2 id="health">Components</h2>
          <ul class="plain">
            <li><strong>Gateway</strong> <span class="badge badge-ok">answering</span></li>
            ${health('Identity', users, 'identity admin API')}
            ${health('Audit', alerts.state === 'failed' ? chain : alerts, 'audit service')}
          </ul>
        </section>
        <section class="card" aria-labelledby="open-alerts">
          <h2 id="open-alerts">Open alerts</h2>
          ${
            alerts.state === 'loading'
              ? loading('alerts')
              : alerts.state === 'failed'
                ? failure(alerts.error, 'audit service')
                : html`<p class="metric"><a href="#/alerts">${alerts.value.alerts.length}</a></p>`
          }
        </section>
        <section class="card" aria-labelledby="chain">
          <h2 id="chain">Audit chain</h2>
          ${
            chain.state === 'loading'
              ? loading('the verification')
              : chain.state === 'failed'
                ? failure(chain.error, 'audit service')
                : chain.value.ok
                  ? html`<p>
                      <span class="badge badge-ok">verified</span> ${chain.value.events} events,
                      ${chain.value.checkpoints} checkpoints
                    </p>`
                  : html`<p role="alert">
                      <span class="badge badge-bad">broken</span> ${chain.value.problem ?? ''}
                    </p>`
          }
        </section>
      </div>
      <section aria-labelledby="denials">
        <h2 id="denials">Recent denials</h2>
        ${
          denials.state === 'loading'
            ? loading('denials')
            : denials.state === 'failed'
              ? failure(denials.error, 'audit service')
              : eventTable(denials.value.events, 'Recent denials')
        }
      </section>
    `,
  };
}

import { html } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { Topology } from '../api/audit.ts';
import { empty, failure, loading } from '../views/states.ts';

/** A policy or limit as rampart.yaml writes it, in one line (`scopes: orders:read; mfa`). */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (Array.isArray(value)) return value.map(describeValue).join(', ');
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => `${key}: ${describeValue(inner)}`)
      .join('; ');
  return '—';
}

/** Every public route of rampart.yaml with its policy and rate limit (`GET /audit/v1/topology`). */
export function routesPage(app: AppContext): PageView {
  let topology: Loaded<Topology> = { state: 'loading' };
  track(
    app,
    () => app.audit.topology(),
    (value) => (topology = value),
  );
  return {
    title: 'Routes',
    render: () => {
      if (topology.state === 'loading')
        return html`<h1>Routes</h1>
          ${loading('routes')}`;
      if (topology.state === 'failed')
        return html`<h1>Routes</h1>
          ${failure(topology.error, 'audit service')}`;
      const rows = topology.value.services.flatMap((service) =>
        service.routes.map((route) => ({ service: service.name, ...route })),
      );
      return html`<h1>Routes</h1>
        ${
          rows.length === 0
            ? empty('No public routes: every service is reachable through the mesh only.')
            : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Routes">
                <table>
                  <caption class="visually-hidden">
                    Routes
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Method</th>
                      <th scope="col">Path</th>
                      <th scope="col">Service</th>
                      <th scope="col">Policy</th>
                      <th scope="col">Rate limit</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${rows.map(
                      (row) =>
                        html`<tr>
                          <td><code>${row.method}</code></td>
                          <th scope="row"><code>${row.path}</code></th>
                          <td>${row.service}</td>
                          <td>${describeValue(row.policy)}</td>
                          <td>${describeValue(row.rateLimit)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }`;
    },
  };
}

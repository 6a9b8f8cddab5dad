import { html, svg, nothing, type TemplateResult } from 'lit-html';
import { track, type AppContext, type Loaded, type PageView } from '../app.ts';
import type { EventPage, Topology } from '../api/audit.ts';
import { layoutGraph, type Edge } from '../graph.ts';
import { failure, loading, empty } from '../views/states.ts';

/** Event families of the mesh's caller checks (`mesh.*`, `caller.*`): a service calling one it may not. */
const DENIAL_FAMILIES = ['mesh.', 'caller.'];

/** `from → to` pairs of recent denied calls, from the events' subject (the caller) and service. */
export function deniedPairs(page: EventPage | undefined): Set<string> {
  const pairs = new Set<string>();
  for (const event of page?.events ?? []) {
    if (!DENIAL_FAMILIES.some((family) => event.event.startsWith(family))) continue;
    if (event.outcome === 'success') continue;
    const caller = event.clientId ?? event.subject;
    if (caller !== undefined && event.service !== undefined) pairs.add(`${caller}→${event.service}`);
  }
  return pairs;
}

/**
 * Services and the call graph of rampart.yaml (`GET /audit/v1/topology`): callers → services as an
 * SVG, an edge red and dashed where a call along it was denied recently (mesh caller checks), and a
 * denied call that is not in the graph at all drawn too (a service calling what it never declared).
 */
export function servicesPage(app: AppContext): PageView {
  let topology: Loaded<Topology> = { state: 'loading' };
  let denials: Loaded<EventPage> = { state: 'loading' };
  track(
    app,
    () => app.audit.topology(),
    (value) => (topology = value),
  );
  track(
    app,
    () => app.audit.events({ outcome: 'failure', limit: 200 }),
    (value) => (denials = value),
  );

  const graph = (value: Topology): TemplateResult => {
    if (value.services.length === 0) return empty('rampart.yaml declares no services.');
    const denied = deniedPairs(denials.state === 'ready' ? denials.value : undefined);
    const declared = new Set(value.services.flatMap((s) => s.callers.map((c) => `${c}→${s.name}`)));
    const undeclared: Edge[] = [...denied]
      .filter((pair) => !declared.has(pair))
      .map((pair) => {
        const [from = '', to = ''] = pair.split('→');
        return { from, to };
      });
    const services = [
      ...value.services.map((s) => ({ name: s.name, callers: s.callers })),
      ...undeclared.map((edge) => ({ name: edge.to, callers: [edge.from] })),
    ];
    const placed = layoutGraph(services);
    const at = new Map(placed.nodes.map((node) => [node.name, node]));
    const edgeList = [...placed.edges, ...undeclared];
    return html`<figure class="graph">
      <svg
        viewBox=${`0 0 ${placed.width} ${placed.height}`}
        role="img"
        aria-labelledby="graph-title graph-desc"
      >
        <title id="graph-title">Call graph</title>
        <desc id="graph-desc">
          ${edgeList.map((edge) => `${edge.from} calls ${edge.to}${denied.has(`${edge.from}→${edge.to}`) ? ' (denied recently)' : ''}`).join('; ')}
        </desc>
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="8"
            markerHeight="8"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head"></path>
          </marker>
        </defs>
        ${edgeList.map((edge) => {
          const from = at.get(edge.from);
          const to = at.get(edge.to);
          if (from === undefined || to === undefined) return nothing;
          const bad = denied.has(`${edge.from}→${edge.to}`);
          return svg`<line x1=${from.x + 60} y1=${from.y} x2=${to.x - 60} y2=${to.y} class=${bad ? 'edge edge-denied' : 'edge'} marker-end="url(#arrow)"></line>`;
        })}
        ${placed.nodes.map(
          (node) => svg`<g class="node">
            <rect x=${node.x - 60} y=${node.y - 20} width="120" height="40" rx="6"></rect>
            <text x=${node.x} y=${node.y + 5} text-anchor="middle">${node.name}</text>
          </g>`,
        )}
      </svg>
      <figcaption>
        Arrows go from caller to callee. <span class="legend-denied">Red dashed</span>: a call denied in the
        recent events.
      </figcaption>
    </figure>`;
  };

  return {
    title: 'Services',
    render: () => html`
      <h1>Services and call graph</h1>
      ${
        topology.state === 'loading'
          ? loading('the topology')
          : topology.state === 'failed'
            ? failure(topology.error, 'audit service')
            : html`${graph(topology.value)}
                <div class="table-wrap" tabindex="0" role="region" aria-label="Services">
                  <table>
                    <caption class="visually-hidden">
                      Services
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">Service</th>
                        <th scope="col">Callers</th>
                        <th scope="col">Public routes</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${topology.value.services.map(
                        (service) =>
                          html`<tr>
                            <th scope="row">${service.name}</th>
                            <td>${service.callers.join(', ') || '—'}</td>
                            <td>${service.routes.length}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>`
      }
      ${denials.state === 'failed' && topology.state === 'ready' ? failure(denials.error, 'audit service') : nothing}
    `,
  };
}

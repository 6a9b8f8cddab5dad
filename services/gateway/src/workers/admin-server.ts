import { createServer, type Server, type ServerResponse } from 'node:http';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Metrics } from './messages.ts';

export interface AdminSource {
  ready(): boolean;
  revision(): number;
  /** Each worker's metrics. */
  metrics(): Promise<Metrics[]>;
}

/**
 * The gateway's admin port — served by the main thread for all its workers, or by a gateway on its
 * own (no workers: its own registry as it is): `/healthz`, `/readyz`
 * (ready when every worker listens), and `/metrics` — the workers' counters and histograms added
 * up, with the process-wide figures (CPU, memory, handles) taken once, from the main thread's own
 * registry, since each worker thread would report the same process again.
 *
 * @example
 * const admin = createAdminServer(pool, createMetrics('gateway').registry);
 * admin.listen(9464, '127.0.0.1');
 */
export function createAdminServer(source: AdminSource, own: Registry): Server {
  return createServer((req, res) => {
    void (async () => {
      if (req.url === '/healthz') {
        json(res, 200, { status: 'live' });
      } else if (req.url === '/readyz') {
        const ready = source.ready();
        json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', revision: source.revision() });
      } else if (req.url === '/metrics') {
        const workers = await source.metrics();
        // No workers (a gateway on its own): its registry is the whole story.
        const perWorker = workers.map((metrics) =>
          metrics.filter((metric) => !metric.name.startsWith('process_')),
        );
        const registry =
          perWorker.length === 0
            ? own
            : AggregatorRegistry.aggregate([await own.getMetricsAsJSON(), ...perWorker]);
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
      } else {
        json(res, 404, { status: 'not-found' });
      }
    })().catch(() => {
      if (!res.headersSent) json(res, 503, { status: 'unavailable' });
    });
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

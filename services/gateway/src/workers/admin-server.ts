import type { Server } from 'node:http';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { createAdminServer as createComponentAdminServer, type BootAdmin } from '@rampart/sdk';
import type { Metrics } from './messages.ts';

export interface AdminSource {
  ready(): boolean;
  revision(): number;
  /** Each worker's metrics. */
  metrics(): Promise<Metrics[]>;
}

/**
 * The gateway's admin port, the one every component serves (`@rampart/sdk`'s `createAdminServer`)
 * — served by the main thread for all its workers, or by a gateway on its own (no workers: its own
 * registry as it is). Ready when every worker listens. `/metrics` adds up the workers' counters and
 * histograms, with the process-wide figures (CPU, memory, handles) taken once, from the main
 * thread's own registry, since each worker thread would report the same process again.
 *
 * @example
 * const admin = createAdminServer(pool, createMetrics('gateway').registry);
 * admin.listen(9464, '127.0.0.1');
 */
export function createAdminServer(source: AdminSource, own: Registry): Server {
  const content = adminContent(source, own);
  return createComponentAdminServer({
    health: { revision: () => source.revision(), notReady: content.notReady },
    metrics: content.metrics,
  });
}

/**
 * What the gateway's admin port reports, apart from the revision: readiness (every worker
 * listens) and the workers' metrics added up. `bootComponent` serves it for `main.ts`.
 */
export function adminContent(
  source: Omit<AdminSource, 'revision'>,
  own: Registry,
): Pick<BootAdmin, 'notReady' | 'metrics'> {
  return {
    notReady: () => Promise.resolve(source.ready() ? [] : ['not listening on every worker']),
    async metrics() {
      const workers = await source.metrics();
      const perWorker = workers.map((metrics) =>
        metrics.filter((metric) => !metric.name.startsWith('process_')),
      );
      const registry =
        perWorker.length === 0
          ? own
          : AggregatorRegistry.aggregate([await own.getMetricsAsJSON(), ...perWorker]);
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

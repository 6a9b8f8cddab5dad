import type { Metrics } from '@rampart/sdk';

/** What the cache stage did with a request. */
export type CacheResult = 'hit' | 'miss' | 'bypass';

/** `gateway_cache_total{route,result}`: requests to cached routes, by route template and outcome. */
export interface CacheCounter {
  inc(route: string, result: CacheResult): void;
}

const NAME = 'gateway_cache_total';
const HELP =
  'Requests to routes with a response cache, by route template and result: hit, miss (sent to the service), bypass (the request said no-cache or no-store).';

type Registry = Metrics['registry'];

/**
 * Registers the counter on the gateway's registry. It implements prom-client's collector shape
 * itself (name, help, type and `get()`), so the gateway needs no direct dependency on prom-client;
 * labels are route templates and three results, so its cardinality is bounded by the config.
 */
export function registerCacheCounter(registry: Registry): CacheCounter {
  const counts = new Map<string, Record<CacheResult, number>>();
  const collector = {
    name: NAME,
    help: HELP,
    type: 'counter',
    aggregator: 'sum',
    get: () =>
      Promise.resolve({
        name: NAME,
        help: HELP,
        type: 'counter',
        aggregator: 'sum',
        values: [...counts].flatMap(([route, byResult]) =>
          (Object.keys(byResult) as CacheResult[]).map((result) => ({
            labels: { route, result },
            value: byResult[result],
          })),
        ),
      }),
    reset: () => {
      counts.clear();
    },
  };
  registry.registerMetric(collector as unknown as Parameters<Registry['registerMetric']>[0]);
  return {
    inc(route, result) {
      let byResult = counts.get(route);
      if (byResult === undefined) {
        byResult = { hit: 0, miss: 0, bypass: 0 };
        counts.set(route, byResult);
      }
      byResult[result] += 1;
    },
  };
}

import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * What several replicas of a platform component need in order to behave as one:
 *
 * - CFG_REPLICAS_NEED_SQL: `identity.replicas` above 1 without `storage.sql` on PostgreSQL — the
 *   embedded store is one file with one writer, so a second identity would keep sessions, codes
 *   and tokens of its own (and fight over the file).
 * - CFG_REPLICAS_NEED_REDIS: `gateway.replicas` above 1 without `storage.redis` — each gateway
 *   would count rate limits, penalty boxes and DPoP proof ids alone, so a client spreading its
 *   connections over N replicas would get N times its limit.
 */
export function checkReplicas(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  const identity = config.identity?.replicas ?? 1;
  if (identity > 1 && config.storage?.sql?.kind !== 'postgres') {
    findings.push({
      code: 'CFG_REPLICAS_NEED_SQL',
      path: ['identity', 'replicas'],
      anchor: 'value',
      message: `\`identity.replicas\` is ${identity}, but identity's store is the embedded one, which has a single writer`,
      fix: 'set `storage.sql` to `{ kind: postgres, … }` so every replica shares one store, or keep `identity.replicas: 1`',
    });
  }
  const gateway = config.gateway?.replicas ?? 1;
  if (gateway > 1 && config.storage?.redis === undefined) {
    findings.push({
      code: 'CFG_REPLICAS_NEED_REDIS',
      path: ['gateway', 'replicas'],
      anchor: 'value',
      message: `\`gateway.replicas\` is ${gateway}, but without \`storage.redis\` each replica would count rate limits alone (a client would get ${gateway} times its limit)`,
      fix: 'set `storage.redis.url` (e.g. `${env:REDIS_URL}`) so the replicas share their counters, or keep `gateway.replicas: 1`',
    });
  }
  return findings;
}

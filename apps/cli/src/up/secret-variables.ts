import type { RampartConfig } from '@rampart/config';
import type { ComponentPlan } from './component-plan.ts';

const ENV_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * The `${env:NAME}` variables one component resolves itself, with their values from `up`'s own
 * environment — handed to it over IPC with its other secrets, never in its environment. Each
 * component gets only the references it reads: the gateway the Redis URL's, identity the Redis and
 * SQL URLs', a service the SQL URL's. References only the supervisor resolves (the SQL admin URL,
 * client secrets) reach no component.
 *
 * @example
 * const env = secretVariablesFor(config, 'service'); // { PGPASS: '…' } for url: postgres://…:${env:PGPASS}@…
 */
export function secretVariablesFor(
  config: RampartConfig,
  kind: ComponentPlan['kind'],
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const name of secretReferencesFor(config, kind)) {
    const value = process.env[name];
    if (value !== undefined) variables[name] = value;
  }
  return variables;
}

/**
 * The names of the `${env:NAME}` references a kind of component resolves itself (see
 * {@link secretVariablesFor}), in the order rampart.yaml's settings are read, each once.
 *
 * @example
 * secretReferencesFor(config, 'service'); // ['PGPASS'] for url: postgres://…:${env:PGPASS}@…
 */
export function secretReferencesFor(config: RampartConfig, kind: ComponentPlan['kind']): string[] {
  const storage = config.storage;
  const redis = storage?.redis?.url;
  const sql = storage?.sql?.kind === 'postgres' ? storage.sql.url : undefined;
  const read: Record<ComponentPlan['kind'], readonly (string | undefined)[]> = {
    mesh: [],
    audit: [],
    gateway: [redis],
    identity: [redis, sql],
    service: [sql],
  };
  const names = new Set<string>();
  for (const template of read[kind]) {
    for (const match of (template ?? '').matchAll(ENV_REFERENCE)) {
      if (match[1] !== undefined) names.add(match[1]);
    }
  }
  return [...names];
}

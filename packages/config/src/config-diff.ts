import { isDeepStrictEqual } from 'node:util';
import type { RampartConfig } from './schema.ts';

export interface ConfigDiff {
  /** Services in both configs whose declaration differs. */
  changedServices: string[];
  addedServices: string[];
  removedServices: string[];
  /** `identity` or `demo` (which seeds identities) differ. */
  identityChanged: boolean;
  policiesChanged: boolean;
  portsChanged: boolean;
  /**
   * Other top-level keys that differ (`storage`, `trustDomain`, `name`, …): these concern every
   * component, so a supervisor restarts everything when this is not empty.
   */
  otherChanged: string[];
}

/**
 * Keys reported on their own, or (`audit`, `external`) that concern one component alone: `rampart up`
 * puts `audit` in the audit service's restart key and the connection settings of `external` in the
 * gateway's (its routes reload in place), so editing one restarts that component, not everything.
 */
const SORTED = new Set(['services', 'identity', 'demo', 'policies', 'ports', 'audit', 'external', '$schema']);

/**
 * What changed between two configs, so a reload restarts only what it must.
 *
 * @example
 * const diff = configDiff(previous, next);
 * for (const name of [...diff.changedServices, ...diff.addedServices]) restart(name);
 */
export function configDiff(a: RampartConfig, b: RampartConfig): ConfigDiff {
  const before = Object.keys(a.services);
  const after = Object.keys(b.services);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])] as (keyof RampartConfig)[];
  return {
    changedServices: after.filter(
      (s) => before.includes(s) && !isDeepStrictEqual(a.services[s], b.services[s]),
    ),
    addedServices: after.filter((s) => !before.includes(s)),
    removedServices: before.filter((s) => !after.includes(s)),
    identityChanged: !isDeepStrictEqual(a.identity, b.identity) || a.demo !== b.demo,
    policiesChanged: !isDeepStrictEqual(a.policies, b.policies),
    portsChanged: !isDeepStrictEqual(a.ports, b.ports),
    otherChanged: keys.filter((k) => !SORTED.has(k) && !isDeepStrictEqual(a[k], b[k])).sort(),
  };
}

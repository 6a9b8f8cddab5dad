import { availableParallelism } from 'node:os';

/**
 * `gateway.workers`: a number, or `auto` (the default) for one per core the process may run on.
 *
 * @example
 * workerCount(config.gateway?.workers); // 2 on a 2-core machine
 */
export function workerCount(setting: number | 'auto' | undefined): number {
  return setting === undefined || setting === 'auto' ? availableParallelism() : setting;
}

import { availableParallelism } from 'node:os';

/**
 * Platforms where several sockets may bind one port and the kernel spreads connections over them
 * (`SO_REUSEPORT`, Node's `reusePort`); elsewhere (macOS, Windows) Node refuses the option, so the
 * gateway runs one worker.
 */
const SHARES_PORTS: ReadonlySet<NodeJS.Platform> = new Set(['linux', 'freebsd', 'sunos', 'aix']);

/**
 * `gateway.workers`: a number, or `auto` (the default) for one per core the process may run on —
 * one where the platform cannot spread a port over several sockets.
 *
 * @example
 * workerCount(config.gateway?.workers); // 2 on a 2-core Linux machine, 1 on macOS
 */
export function workerCount(
  setting: number | 'auto' | undefined,
  platform: NodeJS.Platform = process.platform,
): number {
  if (!SHARES_PORTS.has(platform)) return 1;
  return setting === undefined || setting === 'auto' ? availableParallelism() : setting;
}

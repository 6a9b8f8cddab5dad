import type { RampartConfig } from '@rampart/config';
import { configuredPorts } from './port-preflight.ts';

/**
 * Appends to a line the rampart.yaml keys of the ports it mentions (`127.0.0.1:8444` →
 * `… (ports.identity)`), so that an `EADDRINUSE` says which setting to move.
 *
 * @example
 * namePorts('listen EADDRINUSE: address already in use 127.0.0.1:8444', config)
 * // 'listen EADDRINUSE: address already in use 127.0.0.1:8444 (ports.identity)'
 */
export function namePorts(line: string, config: RampartConfig): string {
  const keys = new Map(configuredPorts(config).map(({ key, port }) => [port, key]));
  const named = [...line.matchAll(/:(\d{1,5})\b/g)]
    .map((match) => keys.get(Number(match[1])))
    .filter((key) => key !== undefined);
  return named.length === 0 ? line : `${line} (${[...new Set(named)].join(', ')})`;
}

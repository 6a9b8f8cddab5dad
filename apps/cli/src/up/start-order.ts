import type { RampartConfig } from '@rampart/config';

/**
 * Services in waves of dependency order: a service starts after every service it calls, so a
 * caller never starts before its callees are ready, and the services of one wave start together.
 * `callers` lists who calls a service, so each caller depends on it. A call cycle cannot deadlock
 * startup: its first service by name starts alone, and the rest follow.
 */
export function startWaves(config: RampartConfig): string[][] {
  const names = Object.keys(config.services).sort();
  const calls = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  for (const [callee, service] of Object.entries(config.services)) {
    for (const caller of service.callers ?? []) calls.get(caller)?.add(callee);
  }
  const waves: string[][] = [];
  const placed = new Set<string>();
  while (placed.size < names.length) {
    const ready = names.filter(
      (n) =>
        !placed.has(n) && [...(calls.get(n) ?? [])].every((callee) => placed.has(callee) || callee === n),
    );
    const wave = ready.length > 0 ? ready : names.filter((n) => !placed.has(n)).slice(0, 1);
    for (const name of wave) placed.add(name);
    waves.push(wave);
  }
  return waves;
}

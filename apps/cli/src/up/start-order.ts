import type { RampartConfig } from '@rampart/config';

/**
 * Services in dependency order: a service starts after every service it calls, so that a caller
 * never starts before its callees are ready. `callers` lists who calls a service, so each caller
 * depends on it. Cycles cannot deadlock startup: the remaining services start in name order.
 */
export function startOrder(config: RampartConfig): string[] {
  const names = Object.keys(config.services).sort();
  const calls = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  for (const [callee, service] of Object.entries(config.services)) {
    for (const caller of service.callers ?? []) calls.get(caller)?.add(callee);
  }
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < names.length) {
    const next =
      names.find((n) => !placed.has(n) && [...(calls.get(n) ?? [])].every((c) => placed.has(c) || c === n)) ??
      names.find((n) => !placed.has(n));
    if (next === undefined) break;
    order.push(next);
    placed.add(next);
  }
  return order;
}

import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { eachRoute } from './each-route.ts';

const FIX =
  'remove the `off` to get the default limits, or write a generous limit instead (e.g. `{ points: 10000, window: 1m }`): a route without any limit lets one client send it as much as it likes';

/**
 * CFG_RATE_LIMIT_OFF (a warning): a rate limit switched off, for every route
 * (`gateway.defaultRateLimit: off`, or its `principal` or `ip`) or for one (`rateLimit: off`).
 * Allowed, since it is written out, but `--strict` refuses it.
 */
export function checkRateLimitOff(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  const defaults = config.gateway?.defaultRateLimit;
  const off = (path: (string | number)[], what: string): void => {
    findings.push({
      code: 'CFG_RATE_LIMIT_OFF',
      severity: 'warning',
      path,
      anchor: 'value',
      message: `${what} without a rate limit: nothing stops one client from flooding them`,
      fix: FIX,
    });
  };
  if (defaults === 'off') off(['gateway', 'defaultRateLimit'], 'routes without their own `rateLimit` run');
  else {
    if (defaults?.principal === 'off')
      off(['gateway', 'defaultRateLimit', 'principal'], 'routes without their own `rateLimit` run per user');
    if (defaults?.ip === 'off')
      off(['gateway', 'defaultRateLimit', 'ip'], 'routes without their own `rateLimit` run per IP');
  }
  for (const entry of eachRoute(config)) {
    if (entry.route.rateLimit === 'off') off([...entry.path, 'rateLimit'], `${entry.label} runs`);
  }
  return findings;
}

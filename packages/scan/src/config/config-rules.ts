import { codes } from '@rampart/errors';
import { ruleRegistry, type Rule } from '../rule.ts';

/** The codes `rampart check` reports as warnings (legal but dangerous); the others are errors. */
const WARNING_CODES: ReadonlySet<string> = new Set([
  'CFG_UNKNOWN_SENSITIVE_FIELD',
  'CFG_TRUSTS_ANY_PROXY',
  'CFG_HTTP_ISSUER',
  'CFG_RESERVED_SCOPE',
  'CFG_UNGRANTABLE_SCOPE',
  'CFG_RATE_LIMIT_OFF',
  'CFG_NATS_UNAUTHENTICATED',
  'CFG_EDGE_LOCAL_CA',
]);

/** Warnings that are findings of their own weight: a public route that writes is a design flaw. */
export const SEVERITY_OVERRIDES: Readonly<Record<string, 'high'>> = { CFG_PUBLIC_WRITE_ROUTE: 'high' };

/** `CFG_PUBLIC_WRITE_ROUTE` → `config/public-write-route`. */
export function configRuleId(code: string): string {
  return `config/${code.replace(/^CFG_/u, '').toLowerCase().replaceAll('_', '-')}`;
}

function pascal(code: string): string {
  return code
    .replace(/^CFG_/u, '')
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** One rule per `CFG_` code of the error registry: exactly what `rampart check` reports. */
const CHECK_RULES: Rule[] = Object.entries(codes)
  .filter(([code]) => code.startsWith('CFG_'))
  .map(([code, { title }]) => ({
    id: configRuleId(code),
    name: pascal(code),
    short: title,
    why: WARNING_CODES.has(code)
      ? `${title}: legal, so every component starts with it, but dangerous (\`rampart check\` warns, \`--strict\` refuses it). The finding says what it exposes.`
      : `${title}: every component refuses this configuration at start and reload (\`rampart check\` reports it as ${code}).`,
    fix: `the finding says how; docs/errors.md#${code.toLowerCase()} explains the code`,
    severity: SEVERITY_OVERRIDES[code] ?? (WARNING_CODES.has(code) ? 'medium' : 'high'),
  }));

/** The design rules only a tool that reads the whole rampart.yaml can check. */
const DESIGN_RULES: Rule[] = [
  {
    id: 'config/unsafe-route-without-rate-limit',
    name: 'UnsafeRouteWithoutRateLimit',
    short: 'A route that changes data has no rate limit of its own',
    why: "A POST, PUT, PATCH or DELETE route without its own `rateLimit` gets only the gateway's defaults (100 requests per 10 s per principal): enough for one stolen token to create, change or delete thousands of objects a minute.",
    fix: 'give the route a `rateLimit` sized for its real use (e.g. `{ points: 20, window: 1m, blockFor: 5m }`)',
    severity: 'low',
    cwe: [770],
  },
  {
    id: 'config/unreachable-service',
    name: 'UnreachableService',
    short: 'A service no declared path reaches',
    why: 'A service that neither the gateway (through a route) nor any reachable service may call is dead surface: it runs, holds credentials and keys, and nobody notices when it drifts or is misused.',
    fix: 'declare who calls it (`callers`, or a route with `gateway` among its callers), or remove the service',
    severity: 'medium',
    cwe: [1164],
  },
];

export const CONFIG_RULES: ReadonlyMap<string, Rule> = ruleRegistry('config', [
  ...CHECK_RULES,
  ...DESIGN_RULES,
]);

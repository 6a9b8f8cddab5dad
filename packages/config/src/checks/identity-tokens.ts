import type { Finding } from '../problem.ts';
import { tokenLifetimes } from '../rules/token-lifetimes.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * CFG_INVALID_VALUE in `identity.tokens`: the lifetimes identity refuses to start with
 * ({@link tokenLifetimes}: access tokens 5m–15m, idle ≤ absolute, reuse grace ≤ 60s).
 */
export function checkIdentityTokens(config: RampartConfig): Finding[] {
  const tokens = config.identity?.tokens;
  if (tokens === undefined) return [];
  return tokenLifetimes(tokens).problems.map((problem) => ({
    code: 'CFG_INVALID_VALUE',
    path: ['identity', 'tokens', problem.key],
    anchor: tokens[problem.key] === undefined ? 'map' : 'value',
    message: problem.message,
    fix: problem.fix,
  }));
}

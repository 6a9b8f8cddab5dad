import { isIP } from 'node:net';
import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * CFG_INVALID_VALUE in `gateway`: what the schema cannot say.
 *
 * - `cors.origins` holding `"*"` with `credentials: true` (browsers refuse it, and it would let any
 *   site read answers made for the user), or `"*"` beside other origins;
 * - a `trustedProxies` entry that is not an IP address or CIDR;
 * - an `identityRateLimit` counted by nothing a `/auth` request has: no token is verified on the
 *   mount, so `user` and `client` are never known, and a limit `by` only those limits nothing.
 */
export function checkGatewaySettings(config: RampartConfig): Finding[] {
  const gateway = config.gateway;
  if (gateway === undefined) return [];
  const findings: Finding[] = [];
  const cors = gateway.cors;
  if (cors?.origins.includes('*') === true) {
    if (cors.credentials === true) {
      findings.push({
        code: 'CFG_INVALID_VALUE',
        path: ['gateway', 'cors', 'credentials'],
        anchor: 'value',
        message: '`gateway.cors` allows any origin ("*") together with credentials',
        fix: 'list the exact origins of your pages in `gateway.cors.origins`, or drop `credentials`',
      });
    }
    if (cors.origins.length > 1) {
      findings.push({
        code: 'CFG_INVALID_VALUE',
        path: ['gateway', 'cors', 'origins'],
        anchor: 'value',
        message: '`gateway.cors.origins` lists "*" beside other origins',
        fix: 'write either "*" alone or only exact origins',
      });
    }
  }
  for (const [index, entry] of (gateway.trustedProxies ?? []).entries()) {
    if (isAddressOrCidr(entry)) continue;
    findings.push({
      code: 'CFG_INVALID_VALUE',
      path: ['gateway', 'trustedProxies', index],
      anchor: 'value',
      message: `\`gateway.trustedProxies\` entry ${index + 1} is not an IP address or CIDR`,
      fix: 'write an address or a CIDR, e.g. 10.0.0.7, 10.0.0.0/8 or fd00::/8',
    });
  }
  const by = gateway.identityRateLimit?.by;
  if (by !== undefined && !by.includes('ip') && !by.includes('route')) {
    findings.push({
      code: 'CFG_INVALID_VALUE',
      path: ['gateway', 'identityRateLimit', 'by'],
      anchor: 'value',
      message:
        '`gateway.identityRateLimit.by` counts only by user or client, which /auth requests never have',
      fix: 'count by `ip` (the default), and/or `route` for one limit shared by every caller',
    });
  }
  return findings;
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/u.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32);
}

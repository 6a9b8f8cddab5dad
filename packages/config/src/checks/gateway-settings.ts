import { isIP } from 'node:net';
import type { Finding } from '../problem.ts';
import { parseTrustedProxy } from '../rules/trusted-proxy.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * CFG_INVALID_VALUE in `gateway`: what the schema cannot say; CFG_TRUSTS_ANY_PROXY (a warning)
 * for a `trustedProxies` entry of prefix 0 (`0.0.0.0/0`, `::/0`).
 *
 * - `cors.origins` holding `"*"` with `credentials: true` (browsers refuse it, and it would let any
 *   site read answers made for the user), or `"*"` beside other origins;
 * - a `trustedProxies` entry that is not an IP address or CIDR (read as the gateway reads it,
 *   {@link parseTrustedProxy});
 * - an `identityRateLimit` counted by nothing a `/auth` request has: no token is verified on the
 *   mount, so `user` and `client` are never known, and a limit `by` only those limits nothing;
 * - a `listen` entry that is not an IP literal (a host name would bind whatever it resolves to).
 *
 * CFG_EDGE_LOCAL_CA (a warning): the gateway listens beyond loopback with the local edge CA's
 * certificate, which no client elsewhere trusts — set `gateway.tls`.
 */
export function checkGatewaySettings(config: RampartConfig): Finding[] {
  const gateway = config.gateway;
  if (gateway === undefined) return [];
  const findings: Finding[] = [];
  for (const [index, address] of (gateway.listen ?? []).entries()) {
    if (isIP(address) !== 0) continue;
    findings.push({
      code: 'CFG_INVALID_VALUE',
      path: ['gateway', 'listen', index],
      anchor: 'value',
      message: `\`gateway.listen\` entry ${index + 1} is not an IP address`,
      fix: 'write an IP literal: 127.0.0.1 (this host), 0.0.0.0 (every IPv4 interface), "::" (every IPv6 one), or one interface\'s address',
    });
  }
  const beyondLoopback = (gateway.listen ?? []).some(
    (address) => isIP(address) !== 0 && !isLoopback(address),
  );
  if (beyondLoopback && gateway.tls === undefined) {
    findings.push({
      code: 'CFG_EDGE_LOCAL_CA',
      severity: 'warning',
      path: ['gateway', 'listen'],
      anchor: 'value',
      message:
        'the gateway listens beyond this host with the local edge CA’s certificate (.rampart/ca.pem), which no other machine trusts',
      fix: 'set `gateway.tls.certFile` and `gateway.tls.keyFile` to a certificate your clients trust',
    });
  }
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
    const proxy = parseTrustedProxy(entry);
    if (proxy?.bits === 0) {
      findings.push({
        code: 'CFG_TRUSTS_ANY_PROXY',
        severity: 'warning',
        path: ['gateway', 'trustedProxies', index],
        anchor: 'value',
        message: `\`gateway.trustedProxies\` entry ${index + 1} trusts every ${proxy.family === 'ipv4' ? 'IPv4' : 'IPv6'} address: any client can then choose the address it is rate-limited and logged under (X-Forwarded-For)`,
        fix: 'list only the addresses or subnets of your load balancers, e.g. 10.0.0.0/8',
      });
    }
    if (proxy !== undefined) continue;
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

/** 127.0.0.0/8 or ::1. */
function isLoopback(address: string): boolean {
  return isIP(address) === 4 ? address.startsWith('127.') : address === '::1';
}

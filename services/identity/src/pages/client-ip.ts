import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The client's address for brute-force counters: the first `X-Forwarded-For` entry when there is
 * one, else the socket's peer. Trusting the header is right only because identity is reachable
 * solely through the gateway, over mTLS: the gateway overwrites `X-Forwarded-For` with the address
 * it accepted the connection from, and no other peer can connect. (oidc-provider is configured with
 * `proxy = true` for the same reason.) Exposed on its own without the gateway, this would let a
 * client choose its own address — tests use exactly that to simulate several clients.
 */
export function clientIp(req: IncomingMessage): string {
  const header = req.headers['x-forwarded-for'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
  if (first !== undefined && isIP(first) !== 0) return first;
  return req.socket.remoteAddress ?? 'unknown';
}

/** `{ sourceIp }` for a security event when `ip` is an address (it may be `unknown`), else `{}`. */
export function sourceIpField(ip: string): { sourceIp?: string } {
  return isIP(ip) === 0 ? {} : { sourceIp: ip };
}

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { RateLimitConfig } from '@rampart/config';

export type RateLimitKeyKind = NonNullable<RateLimitConfig['by']>[number];

/** Who a request is counted as: identities established by earlier stages, never raw headers. */
export interface RateLimitRequest {
  /** The route template (`/orders/:id`), never the request path: it names the limiter. */
  readonly route: string;
  /** The client IP, from {@link clientIp}. */
  readonly ip: string;
  /** The OAuth client (`client_id` / `azp`) of the access token, if any. */
  readonly client?: string | undefined;
  /** The token subject, if any. */
  readonly user?: string | undefined;
}

export const DEFAULT_KEY_KINDS: readonly RateLimitKeyKind[] = ['ip', 'user'];

/**
 * The storage keys a request is counted under, one per kind in `by` (default `ip` and `user`);
 * a kind the request lacks (no user on an anonymous route) is skipped. Each value is hashed to a
 * fixed 22 characters, so no attacker-chosen value can grow a key. IPv6 addresses are counted
 * by their /64, the block one subscriber is given, so rotating within it buys nothing.
 */
export function rateLimitKeys(
  request: RateLimitRequest,
  by: readonly RateLimitKeyKind[] | undefined,
): string[] {
  const keys: string[] = [];
  for (const kind of by ?? DEFAULT_KEY_KINDS) {
    const value = identity(request, kind);
    if (value !== undefined) keys.push(`${kind}:${digest(value)}`);
  }
  return keys;
}

function identity(request: RateLimitRequest, kind: RateLimitKeyKind): string | undefined {
  switch (kind) {
    case 'ip':
      return ipv6Prefix64(request.ip) ?? request.ip;
    case 'client':
      return nonEmpty(request.client);
    case 'user':
      return nonEmpty(request.user);
    case 'route':
      return '*';
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}

/** A short, fixed-length digest (132 bits) of `value`. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

/** `2001:db8:1:2:3:4:5:6` → `2001:db8:1:2::/64`; undefined for anything that isn't IPv6. */
export function ipv6Prefix64(address: string): string | undefined {
  const bare = address.replace(/%.*$/, '');
  if (isIP(bare) !== 6) return undefined;
  const [head = '', tail] = bare.split('::');
  const headGroups = (head === '' ? [] : head.split(':')).flatMap(expandEmbeddedIpv4);
  const tailGroups = (tail === undefined || tail === '' ? [] : tail.split(':')).flatMap(expandEmbeddedIpv4);
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const full = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  return `${full
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

function expandEmbeddedIpv4(group: string): string[] {
  if (!group.includes('.')) return [group];
  const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

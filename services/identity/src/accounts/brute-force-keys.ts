import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { normalizeUsername } from './username.ts';

/** The counter keys of one login attempt: each a fixed-length digest, whatever the input. */
export interface AttemptKeys {
  /** (username, client) pair. */
  readonly pair: string;
  /** The client: its IPv4 address or IPv6 /64. */
  readonly ip: string;
  /** The username, across all clients. */
  readonly account: string;
}

/**
 * The keys a login attempt is counted under. The username is normalized exactly as the account
 * store does (`Alice` and `ａｌｉｃｅ` are one account), and the client address is reduced to
 * what one subscriber controls: an IPv4 address, or the /64 of an IPv6 address (rotating inside
 * it buys nothing). Every key is a 22-character SHA-256 digest: attacker-chosen usernames cannot
 * make a key longer, and no username (personal data) is written to Redis in clear.
 */
export function attemptKeys(username: string, ip: string): AttemptKeys {
  const user = normalizeUsername(username);
  const client = clientKey(ip);
  return {
    pair: digest(`pair\0${user}\0${client}`),
    ip: digest(`ip\0${client}`),
    account: digest(`account\0${user}`),
  };
}

/** `203.0.113.9` → itself; `2001:db8:1:2:3:4:5:6` → `2001:db8:1:2::/64`; `::ffff:203.0.113.9` → `203.0.113.9`. */
export function clientKey(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) return bare;
  if (version !== 6) return `other:${bare}`;
  const groups = expandIpv6(bare);
  const mapped = groups.slice(0, 6).join(':') === '0:0:0:0:0:ffff';
  if (mapped) {
    const [high = 0, low = 0] = groups.slice(6).map((group) => Number.parseInt(group, 16));
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** A short, fixed-length digest (132 bits) of `value`. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

/** The eight groups of a valid IPv6 address, in lower-case hex without leading zeros. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const split = (part: string): string[] => (part === '' ? [] : part.split(':').flatMap(embeddedIpv4));
  const headGroups = split(head);
  const tailGroups = tail === undefined ? [] : split(tail);
  const zeros = Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => '0');
  const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  return groups.map((group) => Number.parseInt(group, 16).toString(16));
}

function embeddedIpv4(group: string): string[] {
  if (!group.includes('.')) return [group];
  const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

import { BlockList, isIP } from 'node:net';
import { parseTrustedProxy } from '@rampart/config';

const compiled = new WeakMap<readonly string[], BlockList>();

/**
 * The client's IP address. `X-Forwarded-For` is read only when the peer (`socketAddress`) is one
 * of `trustedProxies` (exact addresses or CIDRs, IPv4 or IPv6); then the right-most address of
 * the chain that is not itself a trusted proxy is the client. An unparsable entry met on the way
 * means the chain can't be trusted, and the socket address is returned. Every address is
 * normalized (IPv4-mapped IPv6 becomes dotted IPv4), so one client has one spelling.
 *
 * @example
 * clientIp('10.0.0.2', '203.0.113.7, 10.0.0.9', ['10.0.0.0/8']); // '203.0.113.7'
 * clientIp('198.51.100.4', '1.2.3.4', ['10.0.0.0/8']); // '198.51.100.4' (untrusted peer)
 */
export function clientIp(
  socketAddress: string,
  forwardedFor: string | undefined,
  trustedProxies: readonly string[],
): string {
  const peer = normalizeIp(socketAddress) ?? socketAddress;
  if (forwardedFor === undefined || trustedProxies.length === 0) return peer;
  const trusted = trustedProxyList(trustedProxies);
  if (!isTrusted(trusted, peer)) return peer;
  const hops = forwardedFor.split(',');
  let leftmost = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(stripPort((hops[i] ?? '').trim()));
    if (hop === undefined) return peer;
    if (!isTrusted(trusted, hop)) return hop;
    leftmost = hop;
  }
  // Every hop is a trusted proxy: the furthest one is the best we know.
  return leftmost;
}

/**
 * Throws the `TypeError` `clientIp` would throw on its first request for a malformed
 * `trustedProxies` entry: call it when the list is configured, so a typo fails the load, not every
 * request.
 */
export function checkTrustedProxies(trustedProxies: readonly string[]): void {
  trustedProxyList(trustedProxies);
}

/**
 * The normalized form of `address`, or undefined when it isn't an IP address: IPv4-mapped IPv6
 * (`::ffff:192.0.2.1`) becomes IPv4, IPv6 is lower-cased and loses its zone (`%eth0`).
 */
export function normalizeIp(address: string): string | undefined {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined && isIP(mapped[1]) === 4) return mapped[1];
  const family = isIP(address);
  if (family === 4) return address;
  if (family === 6) return address.replace(/%.*$/, '').toLowerCase();
  return undefined;
}

/** `[2001:db8::1]:443` → `2001:db8::1`, `192.0.2.1:8080` → `192.0.2.1`; anything else unchanged. */
function stripPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(hop);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(hop);
  if (v4?.[1] !== undefined) return v4[1];
  return hop;
}

function isTrusted(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** Compiles (once per array) the trusted-proxy list; a malformed entry is a configuration error. */
function trustedProxyList(entries: readonly string[]): BlockList {
  const cached = compiled.get(entries);
  if (cached !== undefined) return cached;
  const list = new BlockList();
  for (const entry of entries) {
    // The config check reads entries with the same function: it refuses what this would.
    const proxy = parseTrustedProxy(entry);
    if (proxy === undefined) {
      throw new TypeError(
        `trusted proxy ${JSON.stringify(entry)} is not an IP address or CIDR: write e.g. 10.0.0.7, 10.0.0.0/8 or fd00::/8`,
      );
    }
    if (proxy.bits === undefined) list.addAddress(proxy.address, proxy.family);
    else list.addSubnet(proxy.address, proxy.bits, proxy.family);
  }
  compiled.set(entries, list);
  return list;
}

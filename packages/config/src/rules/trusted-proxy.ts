import { isIP } from 'node:net';

/** A `gateway.trustedProxies` entry, parsed: an address, or a subnet when `bits` is set. */
export interface TrustedProxy {
  /** Normalized: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is dotted IPv4; IPv6 lower-cased, no zone. */
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
  /** The prefix length of a CIDR; undefined for one address. */
  readonly bits: number | undefined;
}

/**
 * Parses one `gateway.trustedProxies` entry (`10.0.0.7`, `10.0.0.0/8`, `fd00::/8`), or returns
 * undefined when it is neither an IP address nor a CIDR. The config check and the gateway both
 * read entries through this, so what one accepts the other does.
 *
 * @example
 * parseTrustedProxy('::ffff:10.0.0.0/104'); // undefined: an IPv4 address with an IPv6 prefix
 */
export function parseTrustedProxy(entry: string): TrustedProxy | undefined {
  const [address = '', prefix, extra] = entry.split('/');
  if (extra !== undefined) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
  const normalized =
    mapped !== undefined && isIP(mapped) === 4
      ? mapped
      : isIP(address) === 6
        ? address.replace(/%.*$/u, '').toLowerCase()
        : address;
  const family = isIP(normalized);
  if (family === 0) return undefined;
  if (prefix !== undefined && !/^\d{1,3}$/u.test(prefix)) return undefined;
  const bits = prefix === undefined ? undefined : Number(prefix);
  if (bits !== undefined && bits > (family === 6 ? 128 : 32)) return undefined;
  return { address: normalized, family: family === 6 ? 'ipv6' : 'ipv4', bits };
}

/** Whether the entry trusts every address of its family (`0.0.0.0/0`, `::/0`). */
export function trustsEveryAddress(proxy: TrustedProxy): boolean {
  return proxy.bits === 0;
}

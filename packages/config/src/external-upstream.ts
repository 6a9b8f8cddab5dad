import { join } from 'node:path';
import type { RampartConfig, ExternalServiceConfig } from './schema.ts';

/** What `rampart up` tells the gateway once it has copied a changed pinned CA into the gateway's directory. */
export const EXTERNAL_CA_RENEWED = 'external-ca.renewed';

/**
 * The file of an external upstream's pinned CA in the gateway's directory of them
 * (`RAMPART_EXTERNAL_CA_DIR`): `<dir>/<name>.pem`, where `rampart up` copies the file `ca` names
 * and Kubernetes mounts the `rampart-external-ca` ConfigMap.
 */
export function externalCaFile(caDir: string, name: string): string {
  return join(caDir, `${name}.pem`);
}

/** The `url` of an `external` upstream of rampart.yaml, understood. */
export type ParsedExternalUrl =
  | {
      readonly ok: true;
      /** `https://host[:port]`, as WHATWG serializes it (no default port). */
      readonly origin: string;
      /** The host name or address, IPv6 without brackets: what is dialled, and the default SNI. */
      readonly host: string;
      readonly port: number;
      /** The base path every route path is appended to: `''` or `/api/v1` (no trailing slash). */
      readonly basePath: string;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads an external upstream's `url`: `https://` with a host, an optional port and an optional base
 * path, in normalized form — no user:password@ (it would end up in logs), no query or fragment,
 * and no `.`/`..` or encoded slash in the base path, so the base is exactly what it reads as.
 *
 * @example
 * parseExternalUrl('https://partner.example:8443/api');
 * // { ok: true, origin: 'https://partner.example:8443', host: 'partner.example', port: 8443, basePath: '/api' }
 */
export function parseExternalUrl(value: string): ParsedExternalUrl {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: `uses ${url.protocol} instead of https:` };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'holds credentials' };
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(value))
    return { ok: false, reason: 'has a query or fragment' };
  if (/%(2e|2f|5c)/i.test(url.pathname))
    return { ok: false, reason: 'has an encoded dot, slash or backslash in its path' };
  const trim = (text: string): string => text.replace(/\/$/, '');
  const normalized = trim(`${url.origin}${url.pathname}`);
  if (trim(value) !== normalized)
    return { ok: false, reason: `is not in normalized form (write ${normalized})` };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    ok: true,
    origin: url.origin,
    host,
    port: url.port === '' ? 443 : Number(url.port),
    basePath: trim(url.pathname),
  };
}

/**
 * The path sent to an external upstream: its base path, then the request's canonical target (path
 * and query). The gateway's canonical target never holds a dot segment; this refuses one anyway
 * (decoded or percent-encoded) rather than let `..` climb out of the base.
 *
 * @throws TypeError when `target` is not origin-form or holds a dot segment.
 * @example
 * externalPath('/api', '/quotes/7?fx=EUR'); // '/api/quotes/7?fx=EUR'
 */
export function externalPath(basePath: string, target: string): string {
  if (!target.startsWith('/'))
    throw new TypeError(`an external upstream's target must start with /, got ${target}`);
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  for (const segment of path.split('/')) {
    const decoded = segment.replace(/%2e/gi, '.');
    if (decoded === '.' || decoded === '..' || /%(2f|5c)|\\/i.test(segment)) {
      throw new TypeError(
        `an external upstream's target may not hold a dot segment or an encoded slash: ${target}`,
      );
    }
  }
  return `${basePath}${target}`;
}

/** Every `external` entry of a config, by name, in file order. */
export function externalServices(config: RampartConfig): [string, ExternalServiceConfig][] {
  return Object.entries(config.external ?? {});
}

import { RampartError } from '@rampart/errors';
import type { IncomingHeaders } from './strip-identity-headers.ts';

/** An HTTP/2 request's fields as HTTP/1.1 would have carried them. */
export interface Http2RequestFields {
  /** `rawHeaders` without pseudo-header fields (`:method`, `:path`, `:scheme`, `:authority`). */
  readonly rawHeaders: readonly string[];
  /** `headers` without pseudo-header fields, with `host` from `:authority`. */
  readonly headers: IncomingHeaders;
}

/**
 * Reads an HTTP/2 request the way the canonical request reads HTTP/1.1, so both protocols go
 * through the very same checks: the pseudo-header fields are dropped (the method and `:path`
 * reach `canonicalRequest` as `method` and `rawTarget`), and `:authority` becomes `host`. A
 * request carrying both `:authority` and a different `host` (RFC 9113 §8.3.1 forbids it) is refused:
 * two stages could otherwise read two different hosts.
 *
 * @throws RampartError `GW_BAD_HEADER` when `host` and `:authority` differ.
 * @example
 * const { rawHeaders, headers } = http2RequestFields(req.rawHeaders, req.headers);
 */
export function http2RequestFields(
  rawHeaders: readonly string[],
  headers: IncomingHeaders,
): Http2RequestFields {
  const raw: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    if (name.charCodeAt(0) !== 0x3a) raw.push(name, rawHeaders[i + 1] ?? '');
  }
  const fields: Record<string, string | readonly string[] | undefined> = Object.create(null) as Record<
    string,
    string | readonly string[] | undefined
  >;
  for (const [name, value] of Object.entries(headers)) {
    if (name.charCodeAt(0) !== 0x3a) fields[name] = value;
  }
  const authority = headers[':authority'];
  if (typeof authority === 'string') {
    const host = fields['host'];
    if (host !== undefined && host !== authority)
      throw new RampartError('GW_BAD_HEADER', { detail: 'host differs from :authority' });
    if (host === undefined) {
      fields['host'] = authority;
      raw.push('host', authority);
    }
  }
  return { rawHeaders: raw, headers: fields };
}

import { RampartError } from '@rampart/errors';

/** The versions a request line may carry on a connection that negotiated HTTP/1.1 (or no ALPN). */
const HTTP1_VERSIONS: ReadonlySet<string> = new Set(['1.0', '1.1']);

/**
 * The protocol of a request is its connection's — ALPN `h2` or not — never what its request line
 * claims. llhttp accepts `HTTP/2.0` and `HTTP/0.9` in an HTTP/1.1 request line; such a request is
 * refused here, before any stage reads it.
 *
 * @param version `req.httpVersion` of a request that came on an HTTP/1.x connection (`2.0`, `1.1`…;
 *   llhttp gives digits only).
 * @throws RampartError `GW_HTTP_VERSION_NOT_SUPPORTED` (505) for anything but `1.0` and `1.1`.
 * @example
 * if (!exchange.http2) checkHttp1Version(req.httpVersion);
 */
export function checkHttp1Version(version: string): void {
  if (!HTTP1_VERSIONS.has(version))
    throw new RampartError('GW_HTTP_VERSION_NOT_SUPPORTED', {
      detail: `HTTP/${version} on an HTTP/1.1 connection`,
    });
}

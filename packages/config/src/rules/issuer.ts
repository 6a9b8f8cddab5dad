/** Loopback hosts a plain-http issuer may be on, under `dangerouslyAllowHttpIssuer` only. */
const LOOPBACK = new Set(['127.0.0.1', '[::1]']);

/**
 * Why `identity.issuer` cannot be used, or undefined: the gateway fetches the issuer's key set
 * from `<issuer>/jwks`, so the issuer is https, without user info, query or fragment; plain http
 * only to 127.0.0.1 or [::1] and only with `dangerouslyAllowHttpIssuer: true` (tests). The config
 * check reports it; the gateway refuses to start on it.
 *
 * @example
 * issuerProblem('http://idp.example/auth', false)?.message; // 'must use https'
 */
export function issuerProblem(
  issuer: string,
  allowHttp: boolean,
): { message: string; fix: string } | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return { message: 'must be an absolute URL', fix: 'write e.g. https://127.0.0.1:8443/auth' };
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return {
      message: 'must not carry user info, a query or a fragment',
      fix: 'write the issuer as scheme, host, port and path only',
    };
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && allowHttp && LOOPBACK.has(url.hostname)) return undefined;
  if (url.protocol === 'http:' && allowHttp) {
    return {
      message: 'may use plain http only on 127.0.0.1 or [::1]',
      fix: 'use https; `dangerouslyAllowHttpIssuer` is for tests on one machine',
    };
  }
  return {
    message: 'must use https',
    fix: 'the gateway fetches its token keys from the issuer: use https (plain http on loopback needs `dangerouslyAllowHttpIssuer: true`, tests only)',
  };
}

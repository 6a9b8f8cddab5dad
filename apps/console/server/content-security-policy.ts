/**
 * The console's Content Security Policy: its own scripts, styles and connections only, no inline
 * script or style, no plugin, no base tag, no framing, forms posted to its own origin alone. A
 * second origin for `connect-src` only when the issuer is not on the gateway's own (`identity.issuer`
 * elsewhere): the console calls its discovery and token endpoints.
 *
 * @example
 * consoleCsp('https://127.0.0.1:8443', 'https://127.0.0.1:8443/auth');
 * // "default-src 'none'; script-src 'self'; … connect-src 'self'; …"
 */
export function consoleCsp(gatewayOrigin: string, issuer: string): string {
  const issuerOrigin = new URL(issuer).origin;
  const connect = issuerOrigin === gatewayOrigin ? "'self'" : `'self' ${issuerOrigin}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The headers every console answer carries, a 404 and a 405 too. */
export function consoleHeaders(csp: string): Readonly<Record<string, string>> {
  return Object.freeze({
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  });
}

import type { ServerResponse } from 'node:http';

/**
 * Headers on every identity response. The CSP allows this origin's stylesheet and scripts only
 * (the passkey page loads one script file), no inline code, no framing anywhere
 * (`frame-ancestors 'none'`, with `X-Frame-Options` for old browsers), and no `Referer` leaking
 * authorization parameters to anyone. `form-action` is left out on purpose: browsers apply it to
 * the redirect back to the client after a form post, and the client's origin is not ours.
 */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader(
    'content-security-policy',
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  );
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
}

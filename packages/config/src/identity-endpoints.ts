/**
 * Identity's public endpoints below its mount (`/auth`), as the platform publishes them: the
 * bounded label each request is counted under, by identity itself and by the gateway's mount, so
 * a dashboard reads `token`, `authorize` or `userinfo` on both sides — never a raw path (ids,
 * interaction uids) and never one `other` for everything.
 */
const EXACT: Readonly<Record<string, string>> = {
  '/.well-known/openid-configuration': 'discovery',
  '/.well-known/oauth-authorization-server': 'discovery',
  '/authorize': 'authorize',
  // Pushed authorization requests (RFC 9126), at oidc-provider's default route.
  '/request': 'pushed_authorization',
  '/token': 'token',
  '/token/introspection': 'introspection',
  '/token/revocation': 'revocation',
  '/me': 'userinfo',
  '/jwks': 'jwks',
};

/** First segments whose whole subtree is one endpoint family. */
const PREFIXES: Readonly<Record<string, string>> = {
  session: 'end_session',
  interaction: 'interaction',
  account: 'account',
  admin: 'admin',
  assets: 'assets',
};

/**
 * The label of a request path below identity's mount (`/token`, `/interaction/abc/login`; a query
 * string is ignored): one of a closed set of names, or `other`.
 *
 * @example
 * identityEndpointLabel('/token/introspection'); // 'introspection'
 */
export function identityEndpointLabel(pathBelowMount: string): string {
  const path = pathBelowMount.split('?', 1)[0] ?? '';
  const exact = EXACT[path === '/' ? path : path.replace(/\/+$/, '')];
  if (exact !== undefined) return exact;
  const first = /^\/([^/]+)/.exec(path)?.[1];
  return (first !== undefined && Object.hasOwn(PREFIXES, first) ? PREFIXES[first] : undefined) ?? 'other';
}

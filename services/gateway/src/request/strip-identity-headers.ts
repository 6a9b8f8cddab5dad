/** Header values as Node's `IncomingMessage.headers` holds them. */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Header values after stripping: the same shape, without `undefined` entries. */
export type StrippedHeaders = Record<string, string | string[]>;

/** Names (lower case, `_` read as `-`) that claim who the caller is: only the gateway says that. */
const IDENTITY_NAMES = new Set([
  'x-forwarded-user',
  'x-forwarded-email',
  'x-forwarded-preferred-username',
  'x-forwarded-groups',
  'x-forwarded-access-token',
  'x-remote-user',
  'x-remote-email',
  'x-remote-group',
  'x-remote-groups',
  'remote-user',
  'x-user',
  'x-email',
  'x-authenticated-user',
  'x-authenticated-userid',
  'x-webauth-user',
  'x-client-cert',
  'x-ssl-client-cert',
]);
const IDENTITY_PREFIXES = ['x-rampart-', 'x-auth-', 'x-user-', 'x-consumer-'];

/** RFC 9110 §7.6.1 hop-by-hop fields, plus `proxy-*`. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Fields a client may not remove by naming them in `Connection`: later stages read them, and a
 * client must not make one stage see a request the others did not.
 */
const NOT_NOMINABLE = new Set(['host', 'content-length', 'content-type', 'authorization', 'cookie']);

function dashed(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

function claimsIdentity(name: string): boolean {
  return IDENTITY_NAMES.has(name) || IDENTITY_PREFIXES.some((prefix) => name.startsWith(prefix));
}

function nominated(headers: IncomingHeaders): Set<string> {
  const names = new Set<string>();
  for (const [field, value] of Object.entries(headers)) {
    if (value === undefined || dashed(field) !== 'connection') continue;
    for (const line of typeof value === 'string' ? [value] : value) {
      for (const token of line.split(',')) {
        const name = dashed(token.trim());
        if (name !== '' && !NOT_NOMINABLE.has(name)) names.add(name);
      }
    }
  }
  return names;
}

/**
 * Returns a new header object without fields that claim an identity (`x-rampart-*`, `x-auth-*`,
 * `x-forwarded-user`, `x-remote-user`, `x-user` … in any case, with `_` for `-`) and without
 * hop-by-hop fields (`connection` and those it names, `keep-alive`, `proxy-*`, `te`, `trailer`,
 * `transfer-encoding`, `upgrade`). The result has no prototype, so a field named `__proto__`
 * stays data; array values are copied.
 *
 * @example
 * stripIdentityHeaders({ 'x-rampart-user': 'admin', X_Forwarded_User: 'admin', accept: '*\/*' });
 * // { accept: '*\/*' }
 */
export function stripIdentityHeaders(headers: IncomingHeaders): StrippedHeaders {
  const dropAlso = nominated(headers);
  const result = Object.create(null) as StrippedHeaders;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = dashed(name);
    if (HOP_BY_HOP.has(key) || key.startsWith('proxy-') || dropAlso.has(key) || claimsIdentity(key)) continue;
    result[name] = typeof value === 'string' ? value : [...value];
  }
  return result;
}

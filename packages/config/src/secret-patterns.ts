/** How Rampart recognises secrets and references to them. */

/** A whole value that is one reference: `${env:NAME}` or `${file:path}`. */
export const SECRET_REF = /^\$\{(?:env:[A-Za-z_][A-Za-z0-9_]*|file:[^}]+)\}$/;

/** References inside a longer string, such as a URL's password. */
export const SECRET_REF_GLOBAL = /\$\{(?:env:[A-Za-z_][A-Za-z0-9_]*|file:[^}]+)\}/g;

/** Keys whose value must be a reference. */
export const SECRET_REF_KEYS: ReadonlySet<string> = new Set(['secret']);

/**
 * Maps whose every value must be a reference, whatever its key: the headers of the trace export
 * (`telemetry.traces.headers`), where a collector's credential goes under a name of the user's
 * choosing (`authorization`, `api-key`, `x-honeycomb-team`…) that no list of names would catch.
 */
const SECRET_REF_MAPS: readonly (readonly string[])[] = [['telemetry', 'traces', 'headers']];

/**
 * Whether the value at `path` must be a secret reference: under a key of {@link SECRET_REF_KEYS},
 * or a value of one of the maps whose values all are (the trace export's headers).
 */
export function isSecretRefPlace(path: readonly (string | number)[]): boolean {
  const key = path.at(-1);
  if (typeof key === 'string' && SECRET_REF_KEYS.has(key)) return true;
  return SECRET_REF_MAPS.some(
    (map) => path.length === map.length + 1 && map.every((segment, index) => path[index] === segment),
  );
}

/** Keys whose value is never printed in a message, whatever it looks like. */
const SECRET_LOOKING_KEY =
  /secret|passw|pwd|passphrase|credential|cookie|private|api[-_]?key|^token|token$|^url$|^cedar$/i;

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY/;
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;

export function isSecretRef(value: string): boolean {
  return SECRET_REF.test(value);
}

export function isSecretLookingKey(key: string | number | undefined): boolean {
  return typeof key === 'string' && SECRET_LOOKING_KEY.test(key);
}

export function looksLikePrivateKey(value: string): boolean {
  return PRIVATE_KEY.test(value);
}

export function looksLikeJwt(value: string): boolean {
  return JWT.test(value);
}

/**
 * Whether a URL carries a password written inline in its userinfo (`postgres://u:hunter2@h/db`);
 * a password made only of references (`postgres://u:${env:PGPASS}@h/db`) is fine.
 */
export function hasInlineUrlPassword(value: string): boolean {
  // Up to the first `@`, even past a `/`, `?` or `#`: passwords pasted unencoded contain them.
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^@]*)@/.exec(value);
  const userinfo = match?.[1];
  if (userinfo === undefined) return false;
  const colon = userinfo.indexOf(':');
  if (colon < 0) return false;
  const password = userinfo.slice(colon + 1);
  return password.replace(SECRET_REF_GLOBAL, '') !== '';
}

/** Whether a value may be quoted back in a message: short, and nothing secret about it or its key. */
export function isSafeToEcho(
  key: string | number | undefined,
  value: unknown,
): value is string | number | boolean {
  if (typeof value === 'number' || typeof value === 'boolean') return !isSecretLookingKey(key);
  if (typeof value !== 'string') return false;
  return (
    value.length <= 40 &&
    !/[\n`]/.test(value) &&
    !isSecretLookingKey(key) &&
    !looksLikePrivateKey(value) &&
    !looksLikeJwt(value) &&
    !value.includes('@')
  );
}

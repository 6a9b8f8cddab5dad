/** The schemes an `Authorization` header may carry an access token in (RFC 6750 §2.1, RFC 9449 §7.1). */
export type AuthorizationScheme = 'bearer' | 'dpop';

/** Why an `Authorization` header was refused. None of them says anything of the value itself. */
export type AuthorizationRefusal =
  /** No `Authorization` header at all. */
  | 'missing'
  /** More than one `Authorization` header: ambiguous, whichever one a reader takes. */
  | 'repeated'
  /** A header whose value is empty or white space only. */
  | 'empty'
  /** A scheme other than the ones accepted (or no scheme at all, e.g. a bare secret). */
  | 'other_scheme'
  /** An accepted scheme with no credentials after it. */
  | 'no_credentials'
  /** An accepted scheme whose credentials are not exactly one SP and one token68. */
  | 'malformed';

export type ParsedAuthorization =
  | { readonly ok: true; readonly scheme: AuthorizationScheme; readonly token: string }
  | {
      readonly ok: false;
      readonly reason: AuthorizationRefusal;
      /** Headers seen (for `repeated`). */ readonly count: number;
    };

export interface AuthorizationOptions {
  /** The schemes accepted; default `['bearer']`. The gateway also takes `dpop`. */
  readonly schemes?: readonly AuthorizationScheme[];
}

/** RFC 9110 §11.2 token68 (RFC 6750's b64token): one token, no space, comma or quote. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** RFC 9110 §5.6.3 OWS: an all-white-space value is empty. */
const EMPTY = /^[ \t]*$/;
const SCHEME_NAMES: Readonly<Record<AuthorizationScheme, string>> = { bearer: 'Bearer', dpop: 'DPoP' };
const BEARER_ONLY: readonly AuthorizationScheme[] = ['bearer'];

/**
 * Parses one `Authorization` value: `<scheme> SP <token68>` (RFC 9110 §11.4 with RFC 6750 §2.1's
 * single credential), the scheme compared case-insensitively against `options.schemes`. Exactly
 * one SP, no trailing white space, no auth-params. Never throws and never logs: a refusal carries
 * a reason only, because a malformed header may well be a credential (a password pasted as the
 * scheme, a Basic value).
 *
 * @example
 * parseAuthorization('Bearer abc.def'); // { ok: true, scheme: 'bearer', token: 'abc.def' }
 * parseAuthorization('Basic YWxpY2U6cHc='); // { ok: false, reason: 'other_scheme', count: 1 }
 */
export function parseAuthorization(
  value: string | undefined,
  options: AuthorizationOptions = {},
): ParsedAuthorization {
  if (value === undefined) return refused('missing', 0);
  if (EMPTY.test(value)) return refused('empty', 1);
  const space = value.indexOf(' ');
  const schemeName = (space === -1 ? value : value.slice(0, space)).toLowerCase();
  const scheme = (options.schemes ?? BEARER_ONLY).find((accepted) => accepted === schemeName);
  if (scheme === undefined) return refused('other_scheme', 1);
  const token = space === -1 ? '' : value.slice(space + 1);
  if (token === '') return refused('no_credentials', 1);
  if (!TOKEN68.test(token)) return refused('malformed', 1);
  return { ok: true, scheme, token };
}

/**
 * Reads the one `Authorization` header of a request from its raw headers (Node's
 * `req.rawHeaders`: name, value, name, value…) and parses it. Two or more are refused as
 * `repeated` — Node's `req.headers` keeps only the first, so a check there would miss the second.
 *
 * @example
 * const parsed = readAuthorization(req.rawHeaders, { schemes: ['bearer', 'dpop'] });
 * if (!parsed.ok) throw refusal(parsed.reason);
 */
export function readAuthorization(
  rawHeaders: readonly string[],
  options: AuthorizationOptions = {},
): ParsedAuthorization {
  let value: string | undefined;
  let count = 0;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === 'authorization') {
      count += 1;
      value = rawHeaders[index + 1];
    }
  }
  if (count > 1) return refused('repeated', count);
  return parseAuthorization(value, options);
}

/**
 * The `Authorization` value for a token, in the scheme's registered spelling. Throws a
 * `TypeError` when the token is not a token68 (it would not parse back).
 *
 * @example
 * headers.authorization = formatAuthorization('bearer', token); // 'Bearer <token>'
 */
export function formatAuthorization(scheme: AuthorizationScheme, token: string): string {
  if (!TOKEN68.test(token)) throw new TypeError('a token in an Authorization header must be a token68');
  return `${SCHEME_NAMES[scheme]} ${token}`;
}

function refused(reason: AuthorizationRefusal, count: number): ParsedAuthorization {
  return { ok: false, reason, count };
}

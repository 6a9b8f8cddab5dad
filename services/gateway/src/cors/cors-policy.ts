import { parseDuration, type RampartConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';

/** `gateway.cors` of rampart.yaml. */
export type CorsConfig = NonNullable<NonNullable<RampartConfig['gateway']>['cors']>;

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The CORS answer to a request. */
export type CorsOutcome =
  /** Add these headers to whatever the answer is (`undefined`: nothing to add). */
  | { readonly kind: 'answer'; readonly headers: Readonly<Record<string, string>> | undefined }
  /** An allowed preflight: answer `204` with these headers, at once. */
  | { readonly kind: 'preflight'; readonly headers: Readonly<Record<string, string>> };

export interface CorsPolicy {
  /**
   * Decides a request with an `Origin`: an allowed origin gets its headers, a preflight its answer;
   * anything else from another origin is refused.
   *
   * @throws RampartError `GW_CORS_REFUSED` for an origin not on the list, a preflight asking for a
   *   method or a header not allowed, or any cross-origin request when `gateway.cors` is not set.
   */
  decide(method: string, headers: Headers): CorsOutcome;
}

const NOTHING: CorsOutcome = Object.freeze({ kind: 'answer', headers: undefined });
/** When CORS is configured an answer depends on `Origin`, so every answer says so. */
const VARY_ORIGIN: CorsOutcome = Object.freeze({
  kind: 'answer',
  headers: Object.freeze({ vary: 'Origin' }),
});
const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const DEFAULT_HEADERS = ['authorization', 'content-type'];
const DEFAULT_EXPOSE = ['x-request-id', 'retry-after'];
const DEFAULT_MAX_AGE = '10m';

function refuse(detail: string): RampartError {
  return new RampartError('GW_CORS_REFUSED', { detail });
}

/**
 * Compiles `gateway.cors` (or its absence) once per configuration. Origins are compared exactly,
 * as browsers serialize them (`https://shop.example`, `http://127.0.0.1:5173`). The gateway's own
 * origin — `https://` + the request's `Host` — is never cross-origin.
 *
 * - No `Origin`, or the gateway's own: nothing is added, nothing refused.
 * - A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin asking for
 *   an allowed method and allowed headers: `204` with `Access-Control-Allow-Origin` (the origin
 *   itself, or `*` for `origins: ['*']` without credentials), `-Allow-Credentials`, `-Allow-Methods`,
 *   `-Allow-Headers`, `-Max-Age`, and `Vary: Origin, Access-Control-Request-Method,
 *   Access-Control-Request-Headers`.
 * - Any other request from an allowed origin: `Access-Control-Allow-Origin`, `-Allow-Credentials`,
 *   `-Expose-Headers`, `Vary: Origin`, on the answer whatever it is (refusals included, so a page
 *   can read the problem).
 * - From any other origin — or from any origin when `gateway.cors` is not set — the request is
 *   refused before it reaches a service (`GW_CORS_REFUSED`): a browser would hide the answer from
 *   the page anyway, but a cross-site form post would still have had its effect.
 *
 * @throws TypeError when `origins` holds `*` together with `credentials: true` (the config check
 *   refuses it first) or `*` beside other origins.
 */
export function compileCorsPolicy(config: CorsConfig | undefined): CorsPolicy {
  if (config === undefined) {
    return {
      decide(_method, headers) {
        const origin = headerText(headers['origin']);
        if (origin === undefined || isSameOrigin(origin, headers)) return NOTHING;
        throw refuse('cross-origin request, and gateway.cors is not configured');
      },
    };
  }
  const any = config.origins.includes('*');
  if (any && config.credentials === true) {
    throw new TypeError('gateway.cors: "*" cannot be used with credentials: true; list the exact origins');
  }
  if (any && config.origins.length > 1) {
    throw new TypeError('gateway.cors: "*" already allows every origin; list exact origins or "*" alone');
  }
  const methods = config.methods ?? DEFAULT_METHODS;
  const allowedMethods: ReadonlySet<string> = new Set(methods);
  const allowedHeaders: ReadonlySet<string> = new Set(
    (config.headers ?? DEFAULT_HEADERS).map((h) => h.toLowerCase()),
  );
  const credentials = config.credentials === true;
  const exposed = (config.exposeHeaders ?? DEFAULT_EXPOSE).join(', ');
  const answerFor = (origin: string): CorsOutcome =>
    Object.freeze({
      kind: 'answer',
      headers: Object.freeze({
        'access-control-allow-origin': origin,
        ...(credentials ? { 'access-control-allow-credentials': 'true' } : {}),
        ...(exposed.length === 0 ? {} : { 'access-control-expose-headers': exposed }),
        vary: 'Origin',
      }),
    });
  // Built once: a request only looks its origin up.
  const answers = new Map(any ? [['*', answerFor('*')]] : config.origins.map((o) => [o, answerFor(o)]));
  const preflightCommon = {
    'access-control-allow-methods': methods.join(', '),
    'access-control-allow-headers': [...allowedHeaders].join(', '),
    'access-control-max-age': String(Math.floor(parseDuration(config.maxAge ?? DEFAULT_MAX_AGE) / 1000)),
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };

  return {
    decide(method, headers) {
      const origin = headerText(headers['origin']);
      if (origin === undefined || isSameOrigin(origin, headers)) return VARY_ORIGIN;
      // `null` (sandboxed frames, file: pages, cross-origin redirects) is never on the list.
      const answer = answers.get(any ? '*' : origin);
      if (answer === undefined) throw refuse('origin not in gateway.cors.origins');
      const requested = headerText(headers['access-control-request-method']);
      if (method !== 'OPTIONS' || requested === undefined) return answer;
      if (!allowedMethods.has(requested)) throw refuse('preflight for a method not in gateway.cors.methods');
      for (const name of (headerText(headers['access-control-request-headers']) ?? '').split(',')) {
        const field = name.trim().toLowerCase();
        if (field !== '' && !allowedHeaders.has(field)) {
          throw refuse('preflight for a header not in gateway.cors.headers');
        }
      }
      return {
        kind: 'preflight',
        headers: {
          'access-control-allow-origin': any ? '*' : origin,
          ...(credentials ? { 'access-control-allow-credentials': 'true' } : {}),
          ...preflightCommon,
        },
      };
    },
  };
}

/** `Origin` equals `https://` + `Host`: the page was served by this gateway. */
function isSameOrigin(origin: string, headers: Headers): boolean {
  const host = headerText(headers['host']);
  return host !== undefined && origin === `https://${host.toLowerCase()}`;
}

function headerText(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value[0];
}

/**
 * Adds CORS headers to an answer's headers, merging `Vary` with any the answer already has.
 */
export function addCorsHeaders(
  target: Record<string, string | string[] | number>,
  cors: Readonly<Record<string, string>> | undefined,
): void {
  if (cors === undefined) return;
  for (const [name, value] of Object.entries(cors)) {
    const existing = target[name];
    if (name === 'vary' && existing !== undefined) {
      const list = Array.isArray(existing) ? existing.join(', ') : String(existing);
      target[name] = `${list}, ${value}`;
    } else {
      target[name] = value;
    }
  }
}

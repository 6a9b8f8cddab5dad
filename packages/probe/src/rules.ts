import type { Severity } from './finding.ts';

/** A rule of the probe: what it shows, why it matters, how to fix it. */
export interface ProbeRule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly cwe: number;
  readonly why: string;
  readonly fix: string;
}

const rule = (
  id: string,
  severity: Severity,
  cwe: number,
  title: string,
  why: string,
  fix: string,
): ProbeRule => Object.freeze({ id, severity, cwe, title, why, fix });

/** Every rule `rampart probe` reports, by id (docs/probe.md lists them in this order). */
export const PROBE_RULES = Object.freeze(
  Object.fromEntries(
    [
      rule(
        'auth-missing-token',
        'critical',
        306,
        'Protected route answers without a token',
        'Anyone on the internet reads or changes what the route guards.',
        'Authenticate every route whose policy is not `public: true`, before anything else.',
      ),
      rule(
        'auth-invalid-token',
        'critical',
        287,
        'A malformed token is accepted',
        'A string that is not a token at all opens the route: authentication is not checked.',
        'Verify the bearer token and refuse anything that does not verify.',
      ),
      rule(
        'jwt-alg-none',
        'critical',
        347,
        'Unsigned JWT (alg "none") accepted',
        'Anyone can write a token with any subject and scopes (CVE-2015-9235 class).',
        'Allow-list the signature algorithms the issuer uses; never `none`.',
      ),
      rule(
        'jwt-key-confusion',
        'critical',
        347,
        'HS256 token keyed with the public key accepted',
        "Anyone can sign tokens with the issuer's published public key used as an HMAC secret.",
        'Bind each key to its algorithm; accept only the asymmetric algorithms of the key set.',
      ),
      rule(
        'jwt-signature-not-verified',
        'critical',
        347,
        'JWT signature not verified',
        'A token whose claims were changed, whose signature was removed or that a stranger signed is accepted.',
        "Verify every token's signature against the issuer's key set before reading a claim.",
      ),
      rule(
        'jwt-header-key-injection',
        'critical',
        347,
        'Key taken from the token header (jku, x5u, jwk or kid)',
        'A token names its own verification key, so its author signs it with a key they own.',
        "Take keys only from the configured issuer's key set; ignore jku, x5u, jwk; treat kid as an opaque lookup key.",
      ),
      rule(
        'jwt-expired-accepted',
        'high',
        613,
        'Expired token accepted',
        'A stolen token never stops working.',
        'Check `exp` on every request with at most a small clock skew.',
      ),
      rule(
        'jwt-no-exp-accepted',
        'high',
        613,
        'Token without `exp` accepted',
        'A token without an expiry is valid forever once stolen.',
        'Require `exp` (RFC 9068) and refuse tokens without it.',
      ),
      rule(
        'jwt-wrong-audience',
        'high',
        287,
        'Token for another audience accepted',
        'A token issued for another API can be replayed here.',
        "Require `aud` to name this gateway's resource.",
      ),
      rule(
        'jwt-wrong-issuer',
        'high',
        287,
        'Token from another issuer accepted',
        "A token whose `iss` is not the configured issuer's is trusted.",
        'Require `iss` to equal the configured issuer.',
      ),
      rule(
        'authz-bola',
        'high',
        639,
        "User B reads or changes user A's object",
        'Broken object-level authorization (OWASP API1): any user reaches any object by its id.',
        'Check that the object belongs to the principal (or is shared with it) in the service, on every access.',
      ),
      rule(
        'authz-missing-scope',
        'high',
        285,
        "A token without the route's scope is accepted",
        'A client granted little can do what only a larger grant allows.',
        "Enforce the route policy's scopes at the gateway.",
      ),
      rule(
        'authz-undeclared-method',
        'medium',
        749,
        'A method the route does not declare is served',
        'Methods nobody reviewed (TRACE, or a write on a read-only route) reach the service.',
        'Answer 405 for every method rampart.yaml does not declare at a path.',
      ),
      rule(
        'path-normalization-bypass',
        'high',
        22,
        'An encoded or unnormalized path reaches a protected route without a token',
        'The router and the authorization read the path differently, so a rewritten path skips the check.',
        'Normalize the path once (RFC 3986), refuse ambiguous forms (encoded slashes and dots, `;`), and route and authorize that one form.',
      ),
      rule(
        'http-request-smuggling',
        'high',
        444,
        'Ambiguous request framing accepted',
        'A front end and a back end that frame the request differently let an attacker smuggle a request past every check.',
        'Refuse requests with both Content-Length and Transfer-Encoding, obfuscated Transfer-Encoding, or conflicting Content-Length (400) and close the connection.',
      ),
      rule(
        'header-identity-spoofing',
        'critical',
        290,
        'An identity header is trusted without a token',
        'Anyone sends `X-User-Id` (or similar) and becomes that user.',
        'Strip identity headers from client requests; derive identity only from a verified token.',
      ),
      rule(
        'header-forwarded-for-bypass',
        'medium',
        348,
        'X-Forwarded-For from any client escapes the per-IP limit',
        'A client rotates a header to get a fresh per-IP budget for every request.',
        'Believe X-Forwarded-For only from configured trusted proxies.',
      ),
      rule(
        'rate-limit-not-enforced',
        'medium',
        770,
        'Declared rate limit not enforced',
        'Credential stuffing, scraping and resource exhaustion go unchecked.',
        'Enforce the limit rampart.yaml declares for the route (429 with Retry-After).',
      ),
      rule(
        'rate-limit-no-retry-after',
        'low',
        770,
        '429 without Retry-After',
        'Well-behaved clients cannot back off correctly and retry in a storm.',
        'Send Retry-After with every 429 (RFC 6585, RFC 9110).',
      ),
      rule(
        'rate-limit-penalty-not-held',
        'medium',
        307,
        'Penalty box not held',
        'A client that exceeded the limit is let back in after one window though `blockFor` says otherwise.',
        'Block for `blockFor` after the limit is exceeded.',
      ),
      rule(
        'cors-origin-reflected',
        'high',
        942,
        'Any Origin reflected in Access-Control-Allow-Origin',
        'Any web page a signed-in user visits can call the API with their credentials and read the answers.',
        'Allow only listed origins (`gateway.cors.origins`), compared exactly.',
      ),
      rule(
        'cors-null-origin',
        'high',
        942,
        'Origin `null` allowed',
        'Sandboxed iframes and local files send `null`: any page can forge it.',
        'Never allow the `null` origin.',
      ),
      rule(
        'cors-wildcard-credentials',
        'medium',
        942,
        'Wildcard CORS with credentials',
        'Access-Control-Allow-Origin `*` together with credentials is a misconfiguration browsers refuse and often hides reflection.',
        'Use `*` only without credentials.',
      ),
      rule(
        'tls-legacy-version',
        'high',
        326,
        'TLS 1.0 or 1.1 accepted',
        'Deprecated protocol versions (RFC 8996) with known weaknesses (BEAST, weak MACs).',
        'Set the minimum TLS version to 1.2.',
      ),
      rule(
        'tls-weak-cipher',
        'medium',
        327,
        'Weak TLS cipher suite accepted',
        'CBC-mode, SHA-1 MAC or static-RSA suites lack forward secrecy or AEAD (Mozilla intermediate excludes them).',
        'Offer only ECDHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2, and TLS 1.3.',
      ),
      rule(
        'headers-missing-hsts',
        'medium',
        319,
        'Strict-Transport-Security missing',
        'A first visit over http:// can be downgraded and intercepted.',
        'Send `Strict-Transport-Security: max-age=63072000; includeSubDomains` on every HTTPS answer.',
      ),
      rule(
        'headers-missing-nosniff',
        'low',
        693,
        'X-Content-Type-Options: nosniff missing',
        'Browsers may sniff an answer as HTML or script.',
        'Send `X-Content-Type-Options: nosniff` on every answer.',
      ),
      rule(
        'headers-server-banner',
        'low',
        200,
        'Server software and version disclosed',
        'A banner (Server, X-Powered-By) tells an attacker which exploits to try.',
        'Remove Server and X-Powered-By, or at least their versions.',
      ),
      rule(
        'errors-verbose',
        'medium',
        209,
        'Error answer leaks internals',
        'Stack traces, file paths and framework banners tell an attacker where and how to strike.',
        'Answer a generic problem (RFC 9457) with a request id; log the details.',
      ),
      rule(
        'cache-cross-principal',
        'high',
        524,
        "User B is served user A's cached answer",
        "A shared cache keyed without the principal hands one user's data to another.",
        'Key cached answers by principal (or mark them private / no-store).',
      ),
      rule(
        'schema-not-enforced',
        'medium',
        20,
        "A request breaking the route's schema is accepted",
        'Input rampart.yaml declared invalid reaches the service, which may not check it again.',
        "Validate bodies, query and path parameters against the route's schema at the gateway (400).",
      ),
    ].map((r) => [r.id, r]),
  ),
) as Readonly<Record<string, ProbeRule>>;

/** The rule named `id`; a TypeError for an unknown id (a programming error). */
export function probeRule(id: string): ProbeRule {
  const found = PROBE_RULES[id];
  if (found === undefined) throw new TypeError(`unknown probe rule '${id}': add it to PROBE_RULES`);
  return found;
}

import { isHex, shannonEntropy } from './entropy.ts';
import { isPlaceholder } from './placeholders.ts';

/** One secret found in a text: 1-based line and column of its first character. */
export interface SecretMatch {
  readonly ruleId: string;
  readonly line: number;
  readonly column: number;
  /** The raw value: hashed for the fingerprint, redacted for the report, never printed. */
  readonly secret: string;
  /** What kind of secret, for the message (`OpenSSH private key`, `postgres URI`). */
  readonly kind?: string;
  /** The host of a URI credential, for its severity. */
  readonly host?: string;
}

/**
 * PEM and PGP private key blocks (gitleaks `private-key`): `-----BEGIN [RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED ]PRIVATE KEY[ BLOCK]-----`,
 * a body of at least 64 base64 characters (also inside a string with `\n` escapes), and the
 * matching END line. A block whose body is elided (`...`) is documentation.
 */
const PRIVATE_KEY =
  /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----([\s\S]{0,20000}?)-----END \1PRIVATE KEY\2-----/gu;
const MIN_KEY_BODY = 64;

export function privateKeys(text: string, lineAt: (index: number) => number): SecretMatch[] {
  if (!text.includes('PRIVATE KEY')) return [];
  const found: SecretMatch[] = [];
  for (const match of text.matchAll(PRIVATE_KEY)) {
    const raw = match[3] ?? '';
    if (/\.\.\.|…|<[^>]*>|\$\{/u.test(raw)) continue;
    const body = raw
      .replace(/\\[nr]/gu, '')
      .replace(/^[\w-]+: .*$/gmu, '') // encrypted PEM headers (Proc-Type, DEK-Info), PGP armor headers
      .replace(/[^A-Za-z0-9+/=]/gu, '');
    if (body.length < MIN_KEY_BODY || /^(.)\1*$/u.test(body.replace(/=+$/u, ''))) continue;
    const index = match.index;
    const type = (match[1] ?? '').trim();
    found.push({
      ruleId: 'secrets/private-key',
      line: lineAt(index),
      column: index - text.lastIndexOf('\n', index - 1),
      secret: body,
      kind: type === '' ? 'PKCS #8 private key' : `${type} private key`,
    });
  }
  return found;
}

/**
 * JSON Web Tokens (gitleaks `jwt`): three base64url parts, the first two JSON objects (`eyJ…`),
 * and the header must decode to JSON with an `alg` — a signed (or unsigned) bearer token.
 */
const JWT = /\b(?<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)/gu;

export function jwts(line: string, lineNumber: number): SecretMatch[] {
  if (!line.includes('eyJ')) return [];
  const found: SecretMatch[] = [];
  for (const match of line.matchAll(JWT)) {
    const secret = match.groups?.['secret'] ?? '';
    const alg = jwtAlgorithm(secret);
    if (alg === undefined || !hasPlausibleSignature(alg, secret.split('.')[2] ?? '')) continue;
    found.push({
      ruleId: 'secrets/jwt',
      line: lineNumber,
      column: match.index + 1,
      secret,
      kind: `JWT (alg ${alg})`,
    });
  }
  return found;
}

/** Length in base64url characters of a signature for each algorithm family (RSA: a 2048-bit key or more). */
const SIGNATURE_LENGTH: Readonly<Record<string, number>> = {
  HS256: 43,
  HS384: 64,
  HS512: 86,
  ES256: 86,
  ES256K: 86,
  ES384: 128,
  ES512: 176,
  EdDSA: 86,
  Ed25519: 86,
};

/**
 * False for a token that cannot be a credential: unsigned (`alg: none`, which no sound verifier
 * accepts) or with a signature shorter than its algorithm makes — a token written by hand for a
 * test or a document (`…c2lnbmF0dXJl`, "signature").
 */
function hasPlausibleSignature(alg: string, signature: string): boolean {
  if (alg.toLowerCase() === 'none') return false;
  if (/^(?:RS|PS)\d{3}$/u.test(alg)) return signature.length >= 342;
  const expected = SIGNATURE_LENGTH[alg];
  return expected === undefined ? signature.length >= 43 : signature.length >= expected;
}

/** The `alg` of a JWT's header, or undefined when the header is not JSON with a string `alg`. */
export function jwtAlgorithm(token: string): string | undefined {
  const header = token.split('.')[0] ?? '';
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || !('alg' in parsed)) return undefined;
    const alg = parsed.alg;
    return typeof alg === 'string' && /^[A-Za-z0-9+-]{1,20}$/u.test(alg) ? alg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Credentials in a URI (gitleaks `generic` URL userinfo, secretlint `basicauth` and
 * `database-connection-string`): `scheme://user:password@host`. The password is the secret; a
 * placeholder, a reference or a one-character run is not reported.
 */
const URI_CREDENTIALS =
  /\b(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]{1,30}):\/\/(?<user>[^\s:@/?#'"`<>]{1,100}):(?<secret>[^\s@/?#'"`<>]{3,200})@(?<host>\[[0-9a-fA-F:]+\]|[^\s/?#:'"`<>@]{1,253})/gu;
const URI_MIN_LENGTH = 4;
const URI_MIN_ENTROPY = 1.5;

export function uriCredentials(line: string, lineNumber: number): SecretMatch[] {
  if (!line.includes('://')) return [];
  const found: SecretMatch[] = [];
  for (const match of line.matchAll(URI_CREDENTIALS)) {
    const groups = match.groups ?? {};
    const secret = groups['secret'] ?? '';
    const user = groups['user'] ?? '';
    if (secret.length < URI_MIN_LENGTH || shannonEntropy(secret) < URI_MIN_ENTROPY) continue;
    if (/^\d{1,5}$/u.test(secret)) continue; // userinfo that is a host and its port, not a password
    if (isPlaceholder(secret) || isPlaceholder(user) || /^[$%{]/u.test(secret)) continue;
    found.push({
      ruleId: 'secrets/uri-credentials',
      line: lineNumber,
      column: match.index + 1,
      secret,
      kind: `${(groups['scheme'] ?? '').toLowerCase()} URI`,
      host: (groups['host'] ?? '').toLowerCase(),
    });
  }
  return found;
}

/** Hosts of a development machine: a credential for them is a local default, reported as low. */
export function isLocalHost(host: string): boolean {
  return /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0|host\.docker\.internal)$/u.test(host);
}

/**
 * Generic secrets: a value assigned to a name that says secret (`password`, `client_secret`,
 * `apiKey`, `DB_TOKEN`, `private_key`…) in code, JSON, YAML, `.env` or properties files. Quoted
 * values anywhere; unquoted ones only in configuration files (in code they are expressions).
 * Per-rule minimums: 8 characters, and a Shannon entropy of at least 3.0 bits a character for
 * hexadecimal values and 3.3 for others; identifiers (`access_token`, `DB_PASSWORD`) and
 * placeholders are not secrets.
 */
const QUOTED_ASSIGNMENT =
  /(?<![\w$])(["'`]?)(?<name>[A-Za-z_][\w.-]{0,80})\1\s*(?::=|=>|\?\?=|[:=])\s*(?<quote>["'`])(?<secret>[^"'`\s\\]{8,300})\k<quote>/gu;
const UNQUOTED_ASSIGNMENT =
  /^\s*(?:export\s+|-\s+)?(?<name>[A-Za-z_][\w.-]{0,80})\s*[:=]\s*(?<secret>[^\s"'`#|>&*!%@[{][^\s"'`]{7,300})\s*(?:#.*)?$/u;
const GENERIC_MIN_LENGTH = 8;
const GENERIC_MIN_ENTROPY = 3.3;
const GENERIC_MIN_ENTROPY_HEX = 3;

export function genericSecrets(line: string, lineNumber: number, configFile: boolean): SecretMatch[] {
  const found: SecretMatch[] = [];
  const consider = (name: string, secret: string, index: number): void => {
    if (!isSecretName(name) || !looksLikeSecretValue(secret)) return;
    found.push({ ruleId: 'secrets/generic-secret', line: lineNumber, column: index + 1, secret, kind: name });
  };
  for (const match of line.matchAll(QUOTED_ASSIGNMENT)) {
    const groups = match.groups ?? {};
    const secret = groups['secret'] ?? '';
    consider(groups['name'] ?? '', secret, match.index + match[0].length - secret.length - 1);
  }
  if (configFile && found.length === 0) {
    const match = UNQUOTED_ASSIGNMENT.exec(line);
    const groups = match?.groups;
    if (match !== null && groups !== undefined) {
      const secret = groups['secret'] ?? '';
      consider(groups['name'] ?? '', secret, line.lastIndexOf(secret));
    }
  }
  return found;
}

const SECRET_WORDS: ReadonlySet<string> = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'secretkey',
  'credential',
  'credentials',
]);
/** The word before `key` that makes a key a secret (`api_key`, `privateKey`, `SIGNING_KEY`). */
const SECRET_KEY_QUALIFIERS: ReadonlySet<string> = new Set([
  'api',
  'access',
  'secret',
  'private',
  'auth',
  'signing',
  'encryption',
  'master',
  'client',
  'hmac',
]);

/**
 * True when a name (of a variable, key or property) says it holds a secret: its last word is
 * `password`, `secret`, `token`, `credentials`…, or `key` after `api`, `private`, `signing`….
 * `passwordHash`, `tokenUrl`, `secret_file`, `publicKey` are not.
 *
 * @example
 * isSecretName('DB_PASSWORD'); // true
 * isSecretName('clientSecret'); // true
 * isSecretName('token_type'); // false
 */
export function isSecretName(name: string): boolean {
  const last = name.split('.').at(-1) ?? name;
  const words = last
    .replace(/([a-z0-9])([A-Z])/gu, '$1 $2')
    .split(/[\s_-]+/u)
    .map((w) => w.toLowerCase())
    .filter((w) => w !== '');
  const word = words.at(-1);
  if (word === undefined) return false;
  if (SECRET_WORDS.has(word)) return true;
  return word === 'key' && SECRET_KEY_QUALIFIERS.has(words.at(-2) ?? '');
}

function looksLikeSecretValue(value: string): boolean {
  if (value.length < GENERIC_MIN_LENGTH || isPlaceholder(value)) return false;
  // an identifier, an environment variable's name, a path, a URL, a number or a version
  if (/^[a-z]+\d{0,2}(?:[_.:-][a-z]+\d{0,2})*$|^[A-Z]+(?:_[A-Z0-9]+)*$|^[a-z]+(?:[A-Z][a-z]+)+$/u.test(value))
    return false;
  if (/^\.{0,2}\/|:\/\/|^[\d.:-]+$|^v?\d+\.\d+/u.test(value)) return false;
  // a call or an interpolation left in a quoted string (`${x}`, `#{x}`, `{{x}}`, `$(x)`)
  if (/[$#]\{|\{\{|\$\(/u.test(value)) return false;
  if (/^eyJ[\w-]*\.eyJ/u.test(value)) return false; // a JWT: the jwt rule decides
  if (/^(?:pk_(?:test|live)|[sr]k_test)_/u.test(value)) return false; // Stripe: publishable (public) or test-mode
  const minimum = isHex(value) ? GENERIC_MIN_ENTROPY_HEX : GENERIC_MIN_ENTROPY;
  return shannonEntropy(value) >= minimum;
}

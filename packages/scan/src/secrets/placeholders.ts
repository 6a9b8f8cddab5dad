/**
 * Words that mark a value as an example, not a secret: documentation, templates and sample
 * configuration use them (`changeme`, `<your-token>`, AWS's documented `AKIAIOSFODNN7EXAMPLE`).
 */
const PLACEHOLDER_WORDS =
  /example|changeme|change[-_ ]me|placeholder|replace[-_ ]?me|your[-_ ]?(?:own[-_ ]?)?(?:api[-_ ]?)?(?:key|token|secret|password|pass)|dummy|qwerty|sample|redacted|insert[-_ ]|xxxx|\*\*\*|\.\.\.|…/iu;

/** A reference to where the secret lives, not the secret: `${env:X}`, `${X}`, `$X`, `{{ .Values.x }}`, `%(x)s`, `<token>`. */
const REFERENCE =
  /<[\w .:-]{1,40}>|^\$\{[^}]*\}?$|^\$[A-Za-z_][\w]*$|^\{\{.*\}\}$|^%\(\w+\)s$|^<[^>]*>$|\$\{[A-Za-z_:][^}]*\}|\{\{[^}]*\}\}/u;

/** A value that only names what it stands for (`password: password`, `https://user:pass@host`). */
const GENERIC_WORDS: ReadonlySet<string> = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'secret',
  'token',
  'apikey',
  'api_key',
  'username',
  'user',
  'null',
  'undefined',
  'none',
  'true',
  'false',
]);

/**
 * Values the providers publish in their documentation, copied into tests and READMEs everywhere:
 * Stripe's sample key body, the Google Authenticator sample TOTP seed.
 */
const KNOWN_EXAMPLES: readonly string[] = ['4eC39HqLyjWDarjtT1zdp7dc', 'JBSWY3DPEHPK3PXP'];

/** A run of six ascending characters (`123456`, `abcdef`, `ABCDEF`): typed by a person, never random. */
function hasSequence(value: string): boolean {
  let run = 1;
  for (let i = 1; i < value.length; i += 1) {
    const step = value.charCodeAt(i) - value.charCodeAt(i - 1);
    run = step === 1 && /[0-9a-zA-Z]/u.test(value.charAt(i)) ? run + 1 : 1;
    if (run >= 6) return true;
  }
  return false;
}

/** `P@ssw0rd1!` → `password`, `s3cret` → `secret`: the word a demo value spells (trailing digits and symbols dropped). */
function deLeet(value: string): string {
  const map: Record<string, string> = {
    '0': 'o',
    '1': 'i',
    '3': 'e',
    '4': 'a',
    '5': 's',
    '7': 't',
    '@': 'a',
    $: 's',
  };
  return value
    .toLowerCase()
    .replace(/[\d!?#*.]+$/u, '')
    .replace(/[013457@$]/gu, (c) => map[c] ?? c);
}

/**
 * True when `value` is a placeholder rather than a secret: an example word, a reference to an
 * environment variable or a template value, angle brackets, or one character repeated
 * (`xxxxxxxx`, `00000000`). The provider's prefix, when given, is ignored for the repetition test
 * (`sk_live_0000…` is a placeholder).
 *
 * @example
 * isPlaceholder('AKIAIOSFODNN7EXAMPLE'); // true
 * isPlaceholder('${env:DB_PASSWORD}');   // true
 * isPlaceholder('ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'ghp_'); // true
 */
export function isPlaceholder(value: string, prefix = ''): boolean {
  if (PLACEHOLDER_WORDS.test(value) || REFERENCE.test(value)) return true;
  if (GENERIC_WORDS.has(deLeet(value))) return true;
  if (KNOWN_EXAMPLES.some((example) => value.includes(example)) || hasSequence(value)) return true;
  const body = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return /^(.)\1*$/su.test(body.replace(/[-_.]/gu, ''));
}

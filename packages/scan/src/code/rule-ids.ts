// Which scan rule an ESLint message reports, and which files the module lints: kept apart from
// the ESLint configuration so that reading them does not load ESLint and the TypeScript parser.

/**
 * eslint-plugin-security's rules we run, and the id each reports as. Left out on purpose (numbers
 * from this repository's ~1,000 files, docs/scan.md): `detect-object-injection` (413 reports, every
 * `obj[key]`; `code/prototype-pollution` covers the dangerous case), `detect-non-literal-fs-filename`
 * (649, every `fs` call on a variable; `code/path-traversal` follows request input),
 * `detect-unsafe-regex` (40, all bounded or linear patterns its star-height test misjudges),
 * `detect-non-literal-regexp` (49, nearly all in tests, none from request input),
 * `detect-possible-timing-attacks` (8, every one a comparison with `''`, `undefined` or a constant),
 * `detect-child-process` and `detect-eval-with-expression` (duplicates of `code/command-injection`
 * and `code/code-injection`, which also see `spawn` with `shell: true`, `Function` and `vm`).
 */
export const SECURITY_PLUGIN_RULES: Readonly<Record<string, string>> = {
  'security/detect-non-literal-require': 'code/non-literal-require',
  'security/detect-pseudoRandomBytes': 'code/pseudo-random-bytes',
  'security/detect-buffer-noassert': 'code/buffer-noassert',
  'security/detect-new-buffer': 'code/new-buffer',
  'security/detect-disable-mustache-escape': 'code/mustache-escape-disabled',
  'security/detect-no-csrf-before-method-override': 'code/csrf-before-method-override',
  'security/detect-bidi-characters': 'code/bidi-characters',
  'security/detect-invisible-characters': 'code/invisible-characters',
};

/** Files the code module lints, by extension (`.d.ts` declarations hold no code). */
export const CODE_FILE = /(?<!\.d)\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/u;

/** The ESLint rule id a message carries → the scan rule id it reports. */
export function scanRuleId(eslintRuleId: string): string | undefined {
  if (eslintRuleId.startsWith('rampart/')) return `code/${eslintRuleId.slice('rampart/'.length)}`;
  return SECURITY_PLUGIN_RULES[eslintRuleId];
}

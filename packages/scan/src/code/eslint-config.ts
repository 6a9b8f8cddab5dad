import type { Linter } from 'eslint';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';
import { codeInjection } from './rules/code-injection.ts';
import { commandInjection } from './rules/command-injection.ts';
import type { CodeRule } from './rules/define-rule.ts';
import { openRedirect } from './rules/open-redirect.ts';
import { pathTraversal } from './rules/path-traversal.ts';
import { prototypePollution } from './rules/prototype-pollution.ts';
import { rampartCallerCheckBypass, rampartRouteWithoutScopes } from './rules/rampart-misuse.ts';
import { secretLogged } from './rules/secret-logged.ts';
import { sqlInjection } from './rules/sql-injection.ts';
import { tlsVerificationOff } from './rules/tls-verification-off.ts';
import {
  deprecatedCreateCipher,
  hmacShortKey,
  insecureRandom,
  weakCipher,
  weakHash,
} from './rules/weak-crypto.ts';

/** Our ESLint rules, by the name after `code/` of the rule id they report. */
export const OWN_ESLINT_RULES: Readonly<Record<string, CodeRule>> = {
  'sql-injection': sqlInjection,
  'command-injection': commandInjection,
  'code-injection': codeInjection,
  'path-traversal': pathTraversal,
  'open-redirect': openRedirect,
  'prototype-pollution': prototypePollution,
  'deprecated-create-cipher': deprecatedCreateCipher,
  'weak-cipher': weakCipher,
  'insecure-random': insecureRandom,
  'weak-hash': weakHash,
  'hmac-short-key': hmacShortKey,
  'tls-verification-off': tlsVerificationOff,
  'secret-logged': secretLogged,
  'rampart-route-without-scopes': rampartRouteWithoutScopes,
  'rampart-caller-check-bypass': rampartCallerCheckBypass,
};

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

/**
 * The inline flat config the module lints with: typescript-eslint's parser without a type-checking
 * program (no tsconfig: each file parsed alone, fast), our rules and the kept plugin rules — and
 * nothing of the project's own ESLint configuration, nor its `eslint-disable` comments
 * (`noInlineConfig`: a security finding is silenced only by `rampart-ignore` with a reason).
 */
export function codeLintConfig(): Linter.Config[] {
  const rampart = { rules: OWN_ESLINT_RULES } as unknown as NonNullable<Linter.Config['plugins']>[string];
  return [
    {
      files: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts', '**/*.js', '**/*.jsx', '**/*.mjs', '**/*.cjs'],
      languageOptions: {
        parser: tseslint.parser,
        ecmaVersion: 'latest',
        sourceType: 'module',
        // no `project`: no type information, each file parsed alone; JSDoc is not read either (~10% of parsing)
        parserOptions: { ecmaFeatures: { jsx: true }, jsDocParsingMode: 'none' },
      },
      linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
      plugins: { rampart, security },
      rules: {
        ...Object.fromEntries(Object.keys(OWN_ESLINT_RULES).map((name) => [`rampart/${name}`, 'error'])),
        ...Object.fromEntries(Object.keys(SECURITY_PLUGIN_RULES).map((name) => [name, 'error'])),
      },
    },
  ];
}

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
import { SECURITY_PLUGIN_RULES } from './rule-ids.ts';
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

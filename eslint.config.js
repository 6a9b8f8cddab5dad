// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/.rampart/**',
      'bench/results/**',
      'coverage/**',
      'dist/**',
      // scanner inputs (deliberately insecure, made-up secrets), not project code
      'packages/scan/test/fixtures/**',
      'packages/scan/test/corpus/**',
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      // A package is reached by its name (`@rampart/x`, `@rampart/identity/testing`), never by a
      // relative path into its folder: that bypasses its `exports` and couples one package's tests
      // to another's files. Generic test helpers are `@rampart/testing`.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: String.raw`^(\.\./)+(packages|services|apps)/[^/]+/(src|test)/`,
              message:
                'Import another package by its name (@rampart/…, or its ./testing entry), not by a relative path into its folder.',
            },
            {
              regex: String.raw`^(\.\./)+(examples/[^/]+|bench|test/e2e|test/regressions)/`,
              message:
                'Import shared test helpers from @rampart/testing, not by a relative path into another folder of the repository.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      // node:test's describe/it return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);

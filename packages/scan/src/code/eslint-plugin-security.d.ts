// eslint-plugin-security ships no types: it is an ESLint plugin like any other.
declare module 'eslint-plugin-security' {
  import type { ESLint } from 'eslint';

  const plugin: ESLint.Plugin;
  export default plugin;
}

export {
  CONSOLE_CLIENT_ID,
  CONSOLE_PREFIX,
  consoleSettings,
  loadConsoleSite,
  type ConsoleAsset,
  type ConsoleSettings,
  type ConsoleSite,
  type ConsoleSiteOptions,
} from './console-site.ts';
export { consoleCsp, consoleHeaders } from './content-security-policy.ts';
export { rewriteSpecifiers, staticSpecifiers } from './module-specifiers.ts';

/**
 * The static import and export specifiers of a module written as the console's are (formatted by
 * prettier: each statement at the start of a line): `import … from 'x'`, `import 'x'`,
 * `export … from 'x'`, over several lines too. Nothing quoted may come between the keyword and
 * `from`, so a string such as `get('from')` is never taken for one. Dynamic `import()` is not used
 * by the console and is refused by {@link rewriteSpecifiers} so none slips through unmapped.
 */
const STATIC_SPECIFIER = /^(\s*(?:import|export)\b[^;'"`]*?\bfrom\s*|\s*import\s*)(['"])([^'"\n]+)\2/gmu;
const DYNAMIC_IMPORT = /\bimport\s*\(/u;

/**
 * Rewrites every static import specifier of `code` through `map`, which answers the URL the
 * browser loads it from, or `undefined` for a specifier it does not know.
 *
 * @throws TypeError naming the module and the specifier when one is unknown, or when the module
 *   uses `import()`: a console that would fail in the browser fails at gateway start instead.
 * @example
 * rewriteSpecifiers("import { html } from 'lit-html';", 'main.ts', (s) => s === 'lit-html' ? '/console/vendor/lit-html@3.3.3/lit-html.js' : undefined);
 */
export function rewriteSpecifiers(
  code: string,
  module: string,
  map: (specifier: string) => string | undefined,
): string {
  if (DYNAMIC_IMPORT.test(code)) throw new TypeError(`${module}: import() is not served; import statically`);
  return code.replace(STATIC_SPECIFIER, (_whole, lead: string, quote: string, specifier: string) => {
    const url = map(specifier);
    if (url === undefined) {
      throw new TypeError(
        `${module} imports '${specifier}', which the console does not serve: add it to the vendor list of apps/console/server/console-site.ts`,
      );
    }
    return `${lead}${quote}${url}${quote}`;
  });
}

/** The specifiers of `code`'s static imports, in order (what a test checks are all served). */
export function staticSpecifiers(code: string): string[] {
  return [...code.matchAll(STATIC_SPECIFIER)].map((match) => match[3] ?? '');
}

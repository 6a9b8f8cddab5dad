/** One segment of a route template: literal text, or a parameter that takes one whole segment. */
export type TemplateSegment =
  { readonly kind: 'static'; readonly value: string } | { readonly kind: 'param'; readonly name: string };

const STATIC = /^[A-Za-z0-9._~-]+$/;
const PARAM = /^\{([a-zA-Z][a-zA-Z0-9]*)\}$/;

/**
 * Parses a configured path (`/orders/{id}`) into segments, once, when the table is built. The
 * config schema already holds paths to this shape; anything else is a programming error.
 *
 * @throws TypeError on a malformed path or a parameter named twice.
 */
export function parseRouteTemplate(path: string): readonly TemplateSegment[] {
  if (!path.startsWith('/')) throw new TypeError(`route path must start with "/": ${JSON.stringify(path)}`);
  if (path === '/') return [];
  const names = new Set<string>();
  return path
    .slice(1)
    .split('/')
    .map((part): TemplateSegment => {
      const param = PARAM.exec(part);
      if (param?.[1] !== undefined) {
        const name = param[1];
        if (names.has(name)) {
          throw new TypeError(`route path ${JSON.stringify(path)} names parameter {${name}} twice`);
        }
        names.add(name);
        return { kind: 'param', name };
      }
      if (!STATIC.test(part) || part === '.' || part === '..') {
        throw new TypeError(
          `route path ${JSON.stringify(path)} has an invalid segment ${JSON.stringify(part)}: ` +
            'use letters, digits, "-", ".", "_", "~" or a parameter {name}',
        );
      }
      return { kind: 'static', value: part };
    });
}

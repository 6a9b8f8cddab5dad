import type { DataPath } from './problem.ts';

/** The value at `path` in plain parsed data, or `undefined`. */
export function getAt(data: unknown, path: DataPath): unknown {
  let node = data;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment] as unknown;
    else if (isRecord(node) && typeof segment === 'string' && Object.hasOwn(node, segment))
      node = node[segment];
    else return undefined;
  }
  return node;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turns an Ajv instance path (a JSON Pointer) into a data path, with numbers for array indexes. */
export function fromPointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    path.push(Array.isArray(getAt(data, path)) ? Number(segment) : segment);
  }
  return path;
}

/**
 * Where a path is, in words: `service \`orders\``, `route \`GET /orders\` of service \`orders\``,
 * `client \`shop-cli\``, `\`identity.tokens\`` or `the top level`.
 */
export function describePlace(data: unknown, path: DataPath): string {
  const [first, second, third, fourth] = path;
  if (path.length === 0) return 'the top level';
  if (first === 'services' && typeof second === 'string') {
    const service = `service \`${second}\``;
    if (path.length === 2) return service;
    if (third === 'routes' && typeof fourth === 'number') {
      return `${describeRoute(getAt(data, path.slice(0, 4)), fourth)} of ${service}`;
    }
    return `\`${dotted(path.slice(2))}\` of ${service}`;
  }
  if (first === 'policies' && typeof second === 'string' && path.length === 2) return `policy \`${second}\``;
  if (first === 'identity' && second === 'clients' && typeof third === 'number' && path.length === 3) {
    const id = getAt(data, [...path, 'id']);
    return typeof id === 'string' && /^[a-z0-9-]{1,63}$/.test(id)
      ? `client \`${id}\``
      : `client ${third + 1}`;
  }
  return `\`${dotted(path)}\``;
}

/** `route \`GET /orders\`` when method and path are readable, else `route 2`. */
export function describeRoute(route: unknown, index: number): string {
  if (isRecord(route) && typeof route.method === 'string' && typeof route.path === 'string') {
    if (/^[A-Z]{1,10}$/.test(route.method) && /^[\w./{}~-]{1,100}$/.test(route.path)) {
      return `route \`${route.method} ${route.path}\``;
    }
  }
  return `route ${index + 1}`;
}

/** `identity.clients[0].secret` */
export function dotted(path: DataPath): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** Values tried, in order, for a string with a `pattern` (the first that matches is used). */
const CANDIDATES = [
  'PROBE-1',
  'probe',
  'P1',
  '12/30',
  '4111111111111111',
  '+1 555 0100',
  '2026-01-01',
  'rampart-probe',
  'a',
  '1',
];

type Schema = Readonly<Record<string, unknown>>;

/**
 * A small value valid against a JSON Schema (the subset rampart.yaml routes use: objects with
 * `required`, arrays with `minItems`, strings with `format`/`pattern`/lengths, numbers with bounds,
 * `enum`, `const`, `examples`, `default`); undefined when the probe cannot make one.
 *
 * @example
 * validSample({ type: 'object', required: ['sku'], properties: { sku: { type: 'string', pattern: '^[A-Z0-9-]{1,32}$' } } });
 * // { sku: 'PROBE-1' }
 */
export function validSample(schema: Schema): unknown {
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum'])) return schema['enum'][0];
  if (Array.isArray(schema['examples']) && schema['examples'].length > 0) return schema['examples'][0];
  if ('default' in schema) return schema['default'];
  switch (schema['type']) {
    case 'object': {
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
      const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
      const out: Record<string, unknown> = {};
      for (const name of required) {
        const value = validSample(properties[name] ?? {});
        if (value === undefined) return undefined;
        out[name] = value;
      }
      return out;
    }
    case 'array': {
      const min = typeof schema['minItems'] === 'number' ? schema['minItems'] : 0;
      const item = validSample((schema['items'] ?? {}) as Schema);
      if (min > 0 && item === undefined) return undefined;
      return Array.from({ length: min }, () => item);
    }
    case 'integer':
    case 'number': {
      const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : 1;
      return Math.max(min, Math.min(1, typeof schema['maximum'] === 'number' ? schema['maximum'] : 1));
    }
    case 'boolean':
      return true;
    case 'string':
      return sampleString(schema);
    default:
      return undefined;
  }
}

function sampleString(schema: Schema): string | undefined {
  switch (schema['format']) {
    case 'email':
      return 'probe@example.com';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'date-time':
      return '2026-01-01T00:00:00Z';
    case 'uri':
      return 'https://example.com/';
    default:
  }
  const min = typeof schema['minLength'] === 'number' ? schema['minLength'] : 0;
  const max = typeof schema['maxLength'] === 'number' ? schema['maxLength'] : Infinity;
  const pattern = typeof schema['pattern'] === 'string' ? new RegExp(schema['pattern'], 'u') : undefined;
  return CANDIDATES.find((c) => c.length >= min && c.length <= max && (pattern?.test(c) ?? true));
}

/**
 * Bodies that break a body schema, each with what it breaks: the wrong JSON type at the top, a
 * required property missing, an undeclared property where `additionalProperties: false`.
 */
export function invalidSamples(schema: Schema): { what: string; body: string }[] {
  const out: { what: string; body: string }[] = [];
  if (schema['type'] === 'object') {
    out.push({ what: 'an array where an object is required', body: '[]' });
    const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
    const valid = validSample(schema);
    if (required.length > 0 && typeof valid === 'object' && valid !== null) {
      const rest = Object.fromEntries(
        Object.entries(valid as Record<string, unknown>).filter(([name]) => name !== required[0]),
      );
      out.push({ what: `required property "${required[0]}" missing`, body: JSON.stringify(rest) });
    }
    if (schema['additionalProperties'] === false && typeof valid === 'object' && valid !== null)
      out.push({
        what: 'an undeclared property (additionalProperties: false)',
        body: JSON.stringify({ ...valid, rampartProbe: true }),
      });
  } else {
    out.push({ what: 'a JSON object where another type is required', body: '{"rampartProbe":true}' });
  }
  return out;
}

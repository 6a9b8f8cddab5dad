import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { invalidRequest } from './admin-error.ts';
import { requestSchemas, type RequestSchemaName } from './openapi-schemas.ts';

/** How a route takes a body: the schema it must match, and whether it may be absent. */
export interface BodySpec<T> {
  readonly schema: RequestSchemaName;
  readonly required: boolean;
  /** The body as `T`, or a 400 naming the first wrong field. Absent (and allowed) → `{}`. */
  parse(value: unknown): T;
}

// Strict: a keyword Ajv does not know in a schema is an error at load, so nothing in the document
// goes unenforced by mistake. One error at a time: the first wrong field is named.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: false, coerceTypes: false });
const compiled = new Map<RequestSchemaName, ValidateFunction>(
  (Object.keys(requestSchemas) as RequestSchemaName[]).map((name) => [
    name,
    ajv.compile(requestSchemas[name]),
  ]),
);

/**
 * A body spec checking against `requestSchemas[schema]`. The type parameter is the shape the
 * schema describes; the two live side by side in the route's module.
 *
 * @example
 * const body = jsonBody<{ name: string }>('CreateGroup');
 */
export function jsonBody<T>(schema: RequestSchemaName, required = true): BodySpec<T> {
  const validate = compiled.get(schema);
  if (validate === undefined) throw new TypeError(`no request schema ${schema}: add it to requestSchemas`);
  return {
    schema,
    required,
    parse(value) {
      if (value === undefined) {
        if (required) throw invalidRequest('body: a JSON object is required.');
        return {} as T;
      }
      if (!validate(value)) throw invalidRequest(describe(validate.errors?.[0]));
      return value as T;
    },
  };
}

/** One Ajv error as `<field>: <problem>.`, naming the field by its path in the body. */
function describe(error: ErrorObject | undefined): string {
  if (error === undefined) return 'body: is invalid.';
  const at = fieldName(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${join(at, String(params['missingProperty']))}: is required.`;
    case 'additionalProperties':
      return `${join(at, printable(params['additionalProperty']))}: is not a known field.`;
    case 'minProperties':
      return `${at}: must name at least one field.`;
    case 'maxProperties':
      return `${at}: must be empty.`;
    case 'type':
      return `${at}: must be ${String(params['type']).replace(',', ' or ')}.`;
    case 'enum':
      return `${at}: must be one of ${(params['allowedValues'] as unknown[]).map(String).join(', ')}.`;
    case 'const':
      return `${at}: must be ${String(params['allowedValue'])}.`;
    case 'uniqueItems':
      return `${at}: must not repeat an item.`;
    default:
      return `${at}: ${error.message ?? 'is invalid'}.`;
  }
}

/** `/groups/2` → `groups[2]`; the root is `body`. */
function fieldName(pointer: string): string {
  if (pointer === '') return 'body';
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : join(name, part)), '');
}

function join(at: string, key: string): string {
  return at === '' || at === 'body' ? key : `${at}.${key}`;
}

/** An unknown key is echoed only if it is short and plain; anything else is described. */
function printable(key: unknown): string {
  return typeof key === 'string' && /^[A-Za-z0-9_$-]{1,64}$/.test(key) ? key : '(an unknown field)';
}

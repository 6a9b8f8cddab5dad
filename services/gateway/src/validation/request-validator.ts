import type { RouteConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import secureJson from 'secure-json-parse';
import { illFormedStringPointer } from '@rampart/sdk';
import { BadRequest, type FieldLocation, type FieldProblem } from './bad-request.ts';
import { isJsonMediaType, mediaTypeOf } from './media-type.ts';

/** Body limit when a route's schema sets no `maxBodyBytes`. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** Media types a route accepts when its schema sets no `contentTypes`. */
export const DEFAULT_CONTENT_TYPES: readonly string[] = Object.freeze(['application/json']);

/** Methods whose requests carry no body unless the route's schema describes one. */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE']);
const MAX_POINTER_LENGTH = 256;

/** What the pipeline has read of a request once the router matched it. */
export interface RequestInput {
  /** `MatchedRoute.params`. */
  readonly params: Readonly<Record<string, string>>;
  /** The canonical request's raw `query` (with or without `?`), or already parsed. */
  readonly query: URLSearchParams | string;
  /** The `Content-Type` header as sent. */
  readonly contentType: string | undefined;
  /** The whole body, read with the route's limit; `undefined` or empty when there is none. */
  readonly body: Buffer | undefined;
}

/** The request as the route's schema accepted it. */
export interface ValidatedRequest {
  /** Parsed JSON; the raw `Buffer` for an allowed non-JSON type; `undefined` without a body. */
  readonly body: unknown;
  /** Decoded query; a key sent more than once is an array. No prototype. */
  readonly query: Record<string, string | string[]>;
  readonly params: Readonly<Record<string, string>>;
}

interface CompiledRoute {
  readonly method: string;
  readonly body: ValidateFunction | undefined;
  readonly query: ValidateFunction | undefined;
  readonly params: ValidateFunction | undefined;
  readonly contentTypes: ReadonlySet<string>;
  readonly maxBodyBytes: number;
}

/** Keyed by the (frozen) route object, so a reloaded config's routes get their own entries. */
const compiled = new WeakMap<RouteConfig, CompiledRoute>();
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Compiles the request schemas of these routes (JSON Schema 2020-12, ajv-formats) with one Ajv
 * instance, and caches them per route for `validateRequest`. `buildRouteTable` calls it.
 *
 * @throws TypeError naming the route when a schema does not compile under Ajv's strict mode, a
 *   content type is not a plain `type/subtype`, or a body schema is set for a non-JSON type.
 */
export function compileRequestValidators(routes: Iterable<RouteConfig>): void {
  const ajv = new Ajv2020({
    allErrors: false,
    strict: true,
    coerceTypes: false,
    removeAdditional: false,
    useDefaults: false,
    // Schemas are not registered by `$id`, so two routes may reuse one and a reload starts clean.
    addUsedSchema: false,
  });
  addFormats.default(ajv);
  for (const route of routes) compiled.set(route, compileRoute(ajv, route));
}

function compileRoute(ajv: Ajv2020, route: RouteConfig): CompiledRoute {
  const label = `${route.method} ${route.path}`;
  const schema = route.schema ?? {};
  const contentTypes = new Set<string>();
  for (const type of schema.contentTypes ?? DEFAULT_CONTENT_TYPES) {
    const mediaType = mediaTypeOf(type);
    if (mediaType === undefined || mediaType !== type.trim().toLowerCase() || mediaType.includes('*')) {
      throw new TypeError(
        `route ${label}: content type ${JSON.stringify(type)} must be a plain type/subtype (no parameters or wildcards)`,
      );
    }
    if (schema.body !== undefined && !isJsonMediaType(mediaType)) {
      throw new TypeError(
        `route ${label}: schema.body can only be checked on JSON, but ${mediaType} is allowed; ` +
          'remove it from contentTypes or drop schema.body',
      );
    }
    contentTypes.add(mediaType);
  }
  const compile = (part: 'body' | 'query' | 'params'): ValidateFunction | undefined => {
    const partSchema = schema[part];
    if (partSchema === undefined) return undefined;
    try {
      return ajv.compile(partSchema);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new TypeError(`route ${label}: schema.${part} does not compile: ${reason}`, { cause });
    }
  };
  return Object.freeze({
    method: route.method,
    body: compile('body'),
    query: compile('query'),
    params: compile('params'),
    contentTypes,
    maxBodyBytes: schema.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  });
}

/**
 * Checks a matched request against its route's schema, in order: body size, a body where the
 * method carries none, the media type, JSON syntax (refusing `__proto__` and
 * `constructor.prototype` keys), then path parameters, query and body against their schemas.
 *
 * @throws RampartError `GW_PAYLOAD_TOO_LARGE`, `GW_UNSUPPORTED_MEDIA_TYPE`, or `BadRequest`
 *   (`GW_BAD_REQUEST`) whose `fields` say which field is wrong — never what it held.
 * @example
 * const { body, query } = validateRequest(matched, {
 *   params: matched.params,
 *   query: request.query,
 *   contentType: firstHeader(request.headers['content-type']),
 *   body: buffer,
 * });
 */
export function validateRequest(
  matched: { readonly route: RouteConfig },
  input: RequestInput,
): ValidatedRequest {
  let route = compiled.get(matched.route);
  if (route === undefined) {
    compileRequestValidators([matched.route]);
    route = compiled.get(matched.route);
    if (route === undefined) throw new TypeError('request schema failed to compile');
  }
  const body = readBody(route, input);
  check(route.params, input.params, 'params');
  const query = parseQuery(input.query);
  check(route.query, query, 'query');
  if (body !== undefined && !Buffer.isBuffer(body)) check(route.body, body, 'body');
  return { body, query, params: input.params };
}

function readBody(route: CompiledRoute, input: RequestInput): unknown {
  const { body } = input;
  if (body === undefined || body.length === 0) {
    if (route.body !== undefined)
      throw refuse('body', '', 'is required', 'no body, but the route has a body schema');
    return undefined;
  }
  if (body.length > route.maxBodyBytes) {
    throw new RampartError('GW_PAYLOAD_TOO_LARGE', {
      detail: `body of ${body.length} bytes, the route allows ${route.maxBodyBytes}`,
    });
  }
  if (route.body === undefined && BODYLESS_METHODS.has(route.method)) {
    throw refuse('body', '', 'is not allowed on this route', `a ${route.method} route without a body schema`);
  }
  const mediaType = input.contentType === undefined ? undefined : mediaTypeOf(input.contentType);
  if (mediaType === undefined || !route.contentTypes.has(mediaType)) {
    throw new RampartError('GW_UNSUPPORTED_MEDIA_TYPE', {
      detail: `media type ${mediaType === undefined ? '(missing or malformed)' : JSON.stringify(mediaType.slice(0, 100))} is not one of ${[...route.contentTypes].join(', ')}`,
    });
  }
  if (!isJsonMediaType(mediaType)) return body;
  return parseJson(body);
}

function parseJson(body: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw refuse('body', '', 'is not valid UTF-8', 'body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = secureJson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch (cause) {
    const poisoned = cause instanceof SyntaxError && cause.message.includes('forbidden');
    throw poisoned
      ? refuse('body', '', 'holds a forbidden property name', 'JSON with __proto__ or constructor.prototype')
      : refuse('body', '', 'is not valid JSON', 'body is not valid JSON');
  }
  const illFormed = illFormedStringPointer(value);
  if (illFormed !== undefined) {
    throw refuse('body', illFormed, 'is not well-formed Unicode', 'a string holds a lone surrogate');
  }
  return value;
}

function parseQuery(query: URLSearchParams | string): Record<string, string | string[]> {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const out = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of params) {
    const previous = out[key];
    if (previous === undefined) out[key] = value;
    else if (typeof previous === 'string') out[key] = [previous, value];
    else previous.push(value);
  }
  return out;
}

function check(validate: ValidateFunction | undefined, data: unknown, where: FieldLocation): void {
  if (validate === undefined || validate(data)) return;
  const error = validate.errors?.[0];
  if (error === undefined) throw refuse(where, '', 'is invalid', 'schema failed without an error');
  const { pointer, message } = describe(error);
  throw refuse(where, pointer, message, `${error.keyword} at ${error.schemaPath}`);
}

/** Where the error is and what rule it breaks, built from the schema side only: no data value. */
function describe(error: ErrorObject): { pointer: string; message: string } {
  const child = (name: unknown, message: string) => ({
    pointer: `${error.instancePath}/${escapePointer(String(name))}`,
    message,
  });
  const { params } = error;
  switch (error.keyword) {
    case 'required':
    case 'dependentRequired':
      return child(params['missingProperty'], 'is required');
    case 'additionalProperties':
      return child(params['additionalProperty'], 'is not allowed');
    case 'unevaluatedProperties':
      return child(params['unevaluatedProperty'], 'is not allowed');
    case 'propertyNames':
      return child(params['propertyName'], 'is not an allowed property name');
    default:
      return { pointer: error.instancePath, message: error.message ?? 'is invalid' };
  }
}

function escapePointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function refuse(where: FieldLocation, pointer: string, message: string, detail: string): BadRequest {
  const bounded = pointer.length > MAX_POINTER_LENGTH ? `${pointer.slice(0, MAX_POINTER_LENGTH)}…` : pointer;
  const field: FieldProblem = { in: where, pointer: bounded, message };
  return new BadRequest([field], `${where} ${JSON.stringify(bounded)}: ${detail}`);
}

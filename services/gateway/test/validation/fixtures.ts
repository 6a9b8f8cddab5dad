import type { RampartConfig, RouteConfig } from '@rampart/config';
import { buildRouteTable, type MatchedRoute } from '../../src/routing/index.ts';
import { validateRequest, type RequestInput, type ValidatedRequest } from '../../src/validation/index.ts';

const order = {
  type: 'object',
  required: ['sku', 'qty'],
  properties: {
    sku: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{3}$' },
    qty: { type: 'integer', minimum: 1 },
    email: { type: 'string', format: 'email' },
    color: { enum: ['red', 'blue'] },
    note: { type: 'string', maxLength: 5 },
    items: {
      type: 'array',
      items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } },
    },
  },
  additionalProperties: false,
};

export const routes: RouteConfig[] = [
  {
    method: 'POST',
    path: '/orders/{id}',
    policy: 'p',
    schema: {
      body: order,
      params: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string', pattern: '^[0-9]+$' } },
      },
      query: {
        type: 'object',
        properties: {
          limit: { type: 'string', pattern: '^[0-9]+$' },
          tag: { type: 'array', items: { type: 'string' } },
        },
        additionalProperties: false,
      },
    },
  },
  { method: 'GET', path: '/orders', policy: 'p' },
  { method: 'DELETE', path: '/orders/{id}', policy: 'p' },
  {
    method: 'GET',
    path: '/search',
    policy: 'p',
    schema: { body: { type: 'object', properties: { q: { type: 'string' } }, additionalProperties: false } },
  },
  {
    method: 'PATCH',
    path: '/orders/{id}',
    policy: 'p',
    schema: { contentTypes: ['application/merge-patch+json'], body: { type: 'object' } },
  },
  { method: 'PUT', path: '/notes', policy: 'p', schema: { contentTypes: ['text/plain'], maxBodyBytes: 10 } },
  { method: 'POST', path: '/free', policy: 'p' },
];

export const config: RampartConfig = {
  version: 1,
  name: 'test',
  policies: { p: {} },
  services: { orders: { entry: 'orders.ts', port: 9000, routes } },
};

export const table = buildRouteTable(config);

export function route(method: string, path: string): MatchedRoute {
  return table.match(
    method,
    path.split('/').filter((s) => s !== ''),
    false,
  );
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** Matches then validates; `body` may be an object (sent as JSON), a string or a Buffer. */
export function send(
  method: string,
  path: string,
  options: { body?: unknown; query?: string; contentType?: string | undefined } = {},
): ValidatedRequest {
  const matched = route(method, path);
  const { body } = options;
  const input: RequestInput = {
    params: matched.params,
    query: options.query ?? '',
    contentType: 'contentType' in options ? options.contentType : 'application/json',
    body:
      body === undefined
        ? undefined
        : Buffer.isBuffer(body)
          ? body
          : typeof body === 'string'
            ? Buffer.from(body)
            : json(body),
  };
  return validateRequest(matched, input);
}

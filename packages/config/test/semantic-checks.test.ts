import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { edit, problemsOf, type Expected } from './helpers.ts';

const route = (method: string, path: string, policy = 'signed-in'): string =>
  `      - method: ${method}\n        path: ${path}\n        policy: ${policy}\n`;

const secondService = (body: string): [string, string] => [
  'services:\n',
  `services:\n  profiles:\n    entry: profiles.ts\n    port: 7101\n${body}`,
];

const cases: { name: string; text: string; expected: Expected[] }[] = [
  {
    name: 'CFG_ROUTE_NO_POLICY at the route',
    text: edit(['        policy: signed-in\n', '']),
    expected: [
      {
        code: 'CFG_ROUTE_NO_POLICY',
        line: 11,
        column: 9,
        message: 'route `GET /orders` of service `orders` has no policy',
      },
    ],
  },
  {
    name: 'CFG_UNKNOWN_POLICY with a suggestion',
    text: edit(['policy: signed-in', 'policy: signd-in']),
    expected: [
      {
        code: 'CFG_UNKNOWN_POLICY',
        line: 13,
        column: 17,
        message:
          'route `GET /orders` of service `orders` names policy `signd-in`, which is not under `policies` — did you mean `signed-in`?',
      },
    ],
  },
  {
    name: 'CFG_UNDECLARED_CALLER with a suggestion',
    text: edit(secondService('    callers: [ordrs]\n')),
    expected: [
      {
        code: 'CFG_UNDECLARED_CALLER',
        line: 9,
        column: 15,
        message:
          'caller `ordrs` of service `profiles` is neither `gateway` nor a declared service — did you mean `orders`?',
      },
    ],
  },
  {
    name: 'CFG_UNDECLARED_CALLER for a service calling itself',
    text: edit(['callers: [gateway]', 'callers: [gateway, orders]']),
    expected: [
      {
        code: 'CFG_UNDECLARED_CALLER',
        line: 9,
        column: 24,
        message: 'service `orders` lists itself as a caller',
      },
    ],
  },
  {
    name: 'CFG_DUPLICATE_ROUTE: parameter names do not matter',
    text: edit([
      '        policy: signed-in\n',
      `        policy: signed-in\n${route('GET', '/orders/{id}')}${route('GET', '/orders/{orderId}')}`,
    ]),
    expected: [
      {
        code: 'CFG_DUPLICATE_ROUTE',
        line: 18,
        column: 15,
        message:
          'route `GET /orders/{orderId}` of service `orders` duplicates route `GET /orders/{id}` of service `orders`',
      },
    ],
  },
  {
    name: 'CFG_DUPLICATE_ROUTE across services',
    text: edit(secondService(`    callers: [gateway]\n    routes:\n${route('GET', '/orders')}`)),
    expected: [
      {
        code: 'CFG_DUPLICATE_ROUTE',
        line: 20,
        column: 15,
        message:
          'route `GET /orders` of service `orders` duplicates route `GET /orders` of service `profiles`',
      },
    ],
  },
  {
    name: 'CFG_AMBIGUOUS_ROUTE: neither route is more specific',
    text: edit([
      '        policy: signed-in\n',
      `        policy: signed-in\n${route('GET', '/a/{x}/c')}${route('GET', '/a/b/{y}')}`,
    ]),
    expected: [
      {
        code: 'CFG_AMBIGUOUS_ROUTE',
        line: 18,
        column: 15,
        message:
          'route `GET /a/b/{y}` of service `orders` and route `GET /a/{x}/c` of service `orders` both match `/a/b/c`, and neither is more specific',
      },
    ],
  },
  {
    name: 'a more specific route is not ambiguous, and other methods never clash',
    text: edit([
      '        policy: signed-in\n',
      `        policy: signed-in\n${route('GET', '/orders/{id}')}${route('GET', '/orders/latest')}${route('POST', '/orders')}`,
    ]),
    expected: [],
  },
  {
    name: 'CFG_UNREACHABLE_ROUTE at the routes key',
    text: edit(['callers: [gateway]', 'callers: []']),
    expected: [
      {
        code: 'CFG_UNREACHABLE_ROUTE',
        line: 10,
        column: 5,
        message:
          'service `orders` has routes, but `gateway` is not among its callers, so no request can reach them',
      },
    ],
  },
  {
    name: 'CFG_PORT_CONFLICT between services',
    text: edit(secondService('')).replace('port: 7101', 'port: 7102'),
    expected: [
      {
        code: 'CFG_PORT_CONFLICT',
        line: 11,
        column: 11,
        message: 'port 7102 of service `orders` is already used by service `profiles`',
      },
    ],
  },
  {
    name: 'CFG_INVALID_VALUE for a certificate lifetime under 5 minutes',
    text: edit(['name: shop', 'name: shop\nmesh: { certificateTtl: 1m }']),
    expected: [
      {
        code: 'CFG_INVALID_VALUE',
        line: 3,
        column: 25,
        message: '`mesh.certificateTtl` must be between 5m and 24h',
      },
    ],
  },
  {
    name: "CFG_PORT_CONFLICT with another service's admin port (port + 1000)",
    text: edit(secondService('')).replace('port: 7101', 'port: 8102'),
    expected: [
      {
        code: 'CFG_PORT_CONFLICT',
        line: 11,
        column: 11,
        message:
          'port 8102 of service `orders` (its admin port: port + 1000) is already used by service `profiles`',
      },
    ],
  },
  {
    name: "CFG_PORT_CONFLICT with the gateway's default port",
    text: edit(['port: 7102', 'port: 8443']),
    expected: [
      {
        code: 'CFG_PORT_CONFLICT',
        line: 8,
        column: 11,
        message: 'port 8443 of service `orders` is already used by `ports.gateway` (its default)',
      },
    ],
  },
  {
    name: 'CFG_PORT_CONFLICT with `ports`',
    text: edit(['name: shop', 'name: shop\nports: { gateway: 443, admin: 7102 }']),
    expected: [
      {
        code: 'CFG_PORT_CONFLICT',
        line: 9,
        column: 11,
        message: 'port 7102 of service `orders` is already used by `ports.admin`',
      },
    ],
  },
  {
    name: 'CFG_UNKNOWN_SENSITIVE_FIELD is a warning',
    text: edit(
      ['callers: [gateway]', 'callers: [gateway]\n    sensitive: [emial]'],
      [
        '        policy: signed-in',
        '        policy: signed-in\n        schema: { body: { properties: { email: { type: string } } } }',
      ],
    ),
    expected: [
      {
        code: 'CFG_UNKNOWN_SENSITIVE_FIELD',
        line: 10,
        column: 17,
        message: 'sensitive field `emial` of service `orders` appears in none of its route body schemas',
        severity: 'warning',
      },
    ],
  },
  {
    name: 'problems are all reported at once, sorted by position',
    text: edit(
      ['port: 7102', 'port: 8443'],
      ['callers: [gateway]', 'callers: [gateway, orders]'],
      ['policy: signed-in', 'policy: nope'],
    ),
    expected: [
      {
        code: 'CFG_PORT_CONFLICT',
        line: 8,
        column: 11,
        message: 'port 8443 of service `orders` is already used by `ports.gateway` (its default)',
      },
      {
        code: 'CFG_UNDECLARED_CALLER',
        line: 9,
        column: 24,
        message: 'service `orders` lists itself as a caller',
      },
      {
        code: 'CFG_UNKNOWN_POLICY',
        line: 13,
        column: 17,
        message: 'route `GET /orders` of service `orders` names policy `nope`, which is not under `policies`',
      },
    ],
  },
];

describe('semantic checks: code, position and message', () => {
  for (const { name, text, expected } of cases) {
    it(name, () => {
      assert.deepEqual(problemsOf(text), expected);
    });
  }
});

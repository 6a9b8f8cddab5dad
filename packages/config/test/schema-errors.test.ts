import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE, edit, problemsOf, type Expected } from './helpers.ts';

const cases: { name: string; text: string; expected: Expected[] }[] = [
  {
    name: 'unknown key, with a suggestion, at the key',
    text: edit(['        policy: signed-in', '        polcy: signed-in']),
    expected: [
      {
        code: 'CFG_UNKNOWN_KEY',
        line: 13,
        column: 9,
        message: 'unknown key `polcy` — did you mean `policy`?',
      },
    ],
  },
  {
    name: 'unknown key without a close match',
    text: edit(['name: shop', 'name: shop\nflavour: vanilla']),
    expected: [{ code: 'CFG_UNKNOWN_KEY', line: 3, column: 1, message: 'unknown key `flavour`' }],
  },
  {
    name: 'missing key, at the parent mapping',
    text: edit(['    port: 7102\n', '']),
    expected: [
      { code: 'CFG_MISSING_KEY', line: 7, column: 5, message: 'missing key `port` in service `orders`' },
    ],
  },
  {
    name: 'missing key in a route names the route',
    text: edit(['        path: /orders\n', '']),
    expected: [
      {
        code: 'CFG_MISSING_KEY',
        line: 11,
        column: 9,
        message: 'missing key `path` in route 1 of service `orders`',
      },
    ],
  },
  {
    name: 'not a duration',
    text: edit([
      '        policy: signed-in',
      '        policy: signed-in\n        rateLimit: { points: 5, window: 15x }',
    ]),
    expected: [
      {
        code: 'CFG_INVALID_VALUE',
        line: 14,
        column: 41,
        message: '`15x` is not a duration — use e.g. 30s, 15m, 12h, 14d',
      },
    ],
  },
  {
    name: 'method out of the union collapses to one message',
    text: edit(['- method: GET', '- method: GOT']),
    expected: [
      {
        code: 'CFG_INVALID_VALUE',
        line: 11,
        column: 17,
        message:
          '`method` must be one of GET, HEAD, POST, PUT, PATCH, DELETE, not `GOT` — did you mean `GET`?',
      },
    ],
  },
  {
    name: 'wrong type',
    text: edit(['port: 7102', 'port: "7102"']),
    expected: [
      {
        code: 'CFG_INVALID_VALUE',
        line: 8,
        column: 11,
        message: '`port` must be a whole number, not a string',
      },
    ],
  },
  {
    name: 'port out of range',
    text: edit(['port: 7102', 'port: 70000']),
    expected: [
      { code: 'CFG_INVALID_VALUE', line: 8, column: 11, message: '`port` must be between 1 and 65535' },
    ],
  },
  {
    name: 'invalid service name explains the naming pattern',
    text: edit(['  orders:', '  Orders:']),
    expected: [
      {
        code: 'CFG_INVALID_VALUE',
        line: 6,
        column: 3,
        message:
          '`Orders` is not a valid service name — service names use lower-case letters, digits and dashes, starting with a letter (at most 63 characters)',
      },
    ],
  },
  {
    name: 'invalid policy name',
    text: edit(['  signed-in: {}', '  signed-in: {}\n  Admins: {}']),
    expected: [
      {
        code: 'CFG_INVALID_VALUE',
        line: 5,
        column: 3,
        message:
          '`Admins` is not a valid policy name — policy names use lower-case letters, digits and dashes, starting with a letter (at most 63 characters)',
      },
    ],
  },
  {
    name: 'invalid route path',
    text: edit(['path: /orders', 'path: orders/']),
    expected: [
      { code: 'CFG_INVALID_VALUE', line: 12, column: 15, message: '`orders/` is not a valid route path' },
    ],
  },
  {
    name: 'union of objects: the intended branch is reported',
    text: edit(['name: shop', 'name: shop\nstorage:\n  sql: { kind: postgres }']),
    expected: [
      { code: 'CFG_MISSING_KEY', line: 4, column: 8, message: 'missing key `url` in `storage.sql`' },
    ],
  },
  {
    name: 'union of objects: no branch matches the discriminator',
    text: edit(['name: shop', 'name: shop\nstorage:\n  sql: { kind: mysql }']),
    expected: [
      {
        code: 'CFG_INVALID_VALUE',
        line: 4,
        column: 16,
        message: '`kind` must be one of embedded, postgres, not `mysql`',
      },
    ],
  },
  {
    name: 'public can only be true',
    text: edit(['  signed-in: {}', '  signed-in: { public: false }']),
    expected: [{ code: 'CFG_INVALID_VALUE', line: 4, column: 24, message: '`public` can only be `true`' }],
  },
  {
    name: 'repeated list item',
    text: edit(['callers: [gateway]', 'callers: [gateway, gateway]']),
    expected: [
      { code: 'CFG_INVALID_VALUE', line: 9, column: 24, message: '`callers` lists `gateway` twice' },
    ],
  },
  {
    name: 'version must be 1',
    text: edit(['version: 1', 'version: 2']),
    expected: [{ code: 'CFG_INVALID_VALUE', line: 1, column: 10, message: '`version` must be 1' }],
  },
  {
    name: 'empty file',
    text: '',
    expected: [{ code: 'CFG_INVALID_VALUE', line: 1, column: 1, message: 'the file is empty' }],
  },
  {
    name: 'YAML syntax error, with position, reported once',
    text: edit(['    port: 7102', '    port: [7102']),
    expected: [
      {
        code: 'CFG_YAML_SYNTAX',
        line: 9,
        column: 5,
        message:
          'YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
      },
    ],
  },
  {
    name: 'duplicate key',
    text: edit(['    port: 7102', '    port: 7102\n    port: 7103']),
    expected: [
      {
        code: 'CFG_YAML_SYNTAX',
        line: 9,
        column: 5,
        message: 'duplicate key `port`: each key may appear only once in a mapping',
      },
    ],
  },
  {
    name: 'alias bomb',
    text: `${BASE}x: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n`,
    expected: [
      {
        code: 'CFG_YAML_SYNTAX',
        line: 1,
        column: 1,
        message: 'too many alias expansions (the limit is 20) — write the values out instead',
      },
    ],
  },
];

describe('schema errors: code, position and message', () => {
  for (const { name, text, expected } of cases) {
    it(name, () => {
      assert.deepEqual(problemsOf(text), expected);
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatProblem, parseConfig } from '@rampart/config';
import { edit, problemsOf, type Expected } from './helpers.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const KEY = '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----';

const withClientSecret = (secret: string): string =>
  edit([
    'name: shop',
    `name: shop\nidentity:\n  clients:\n    - id: shop-cli\n      type: confidential\n      grants: [client_credentials]\n      secret: ${secret}`,
  ]);
const withStorage = (url: string): string =>
  edit(['name: shop', `name: shop\nstorage:\n  sql: { kind: postgres, url: "${url}" }`]);

const cases: { name: string; text: string; expected: Expected[] }[] = [
  {
    name: 'a client secret written inline',
    text: withClientSecret('hunter2hunter2'),
    expected: [
      {
        code: 'CFG_INLINE_SECRET',
        line: 8,
        column: 15,
        message: '`identity.clients[0].secret` is written inline; a secret must be a reference',
      },
    ],
  },
  { name: 'a client secret by reference', text: withClientSecret('${env:SHOP_CLI_SECRET}'), expected: [] },
  {
    name: 'a storage URL with an inline password',
    text: withStorage('postgres://u:hunter2@h/db'),
    expected: [
      {
        code: 'CFG_INLINE_SECRET',
        line: 4,
        column: 31,
        message: '`storage.sql.url` has a password written inline in its URL',
      },
    ],
  },
  {
    name: 'a storage URL with a referenced password',
    text: withStorage('postgres://u:${env:PGPASS}@h/db'),
    expected: [],
  },
  { name: 'a storage URL without a password', text: withStorage('postgres://u@h/db'), expected: [] },
  {
    name: 'a JWT anywhere',
    text: edit(['  signed-in: {}', `  signed-in: { cedar: "${JWT}" }`]),
    expected: [
      {
        code: 'CFG_INLINE_SECRET',
        line: 4,
        column: 23,
        message: '`policies.signed-in.cedar` holds a token (JWT) written inline',
      },
      {
        code: 'CFG_INVALID_CEDAR',
        line: 4,
        column: 23,
        message:
          'the cedar policy set of policy `signed-in` does not parse: failed to parse policies from string: unexpected token `.`',
      },
    ],
  },
  {
    name: 'a private key anywhere, even inside a route schema',
    text: edit([
      '        policy: signed-in',
      `        policy: signed-in\n        schema: { body: { examples: ["${KEY}"] } }`,
    ]),
    expected: [
      {
        code: 'CFG_INLINE_SECRET',
        line: 14,
        column: 38,
        message: '`services.orders.routes[0].schema.body.examples[0]` holds a private key written inline',
      },
    ],
  },
];

describe('CFG_INLINE_SECRET', () => {
  for (const { name, text, expected } of cases) {
    it(name, () => {
      assert.deepEqual(problemsOf(text), expected);
    });
  }
});

describe('no message ever contains the value of an inline secret (property)', () => {
  // A distinctive prefix keeps the value from appearing in a message by coincidence.
  const secretValue = fc.stringMatching(/^[A-Za-z0-9!%&*+=?^_|~-]{4,40}$/).map((s) => `Zq${s}`);
  const placements: [string, (v: string) => string][] = [
    ['client secret', (v) => withClientSecret(JSON.stringify(v))],
    ['storage URL password', (v) => withStorage(`postgres://u:${v.replaceAll('"', '')}@h/db`)],
    [
      'secret under an unknown key',
      (v) => edit(['name: shop', `name: shop\npassword: ${JSON.stringify(v)}`]),
    ],
    ['secret as a wrongly typed value', (v) => edit(['port: 7102', `port: ${JSON.stringify(v)}`])],
    ['secret in a broken YAML line', (v) => edit(['    port: 7102', `    port: [${JSON.stringify(v)}, : ]`])],
  ];
  for (const [where, place] of placements) {
    it(where, () => {
      fc.assert(
        fc.property(secretValue, (value) => {
          const result = parseConfig(place(value), 'rampart.yaml');
          assert.equal(result.ok, false);
          for (const problem of result.problems) {
            const text = `${formatProblem(problem)} ${JSON.stringify(problem)}`;
            assert.ok(!text.includes(value), text);
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});

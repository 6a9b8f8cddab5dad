import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { PROBE_DOCS_URL, PROBE_RULES, readCredentials, CredentialsError } from '@rampart/probe';
import { helpUri, ruleAnchor } from '@rampart/scan';
import { curlOf, redact } from '../src/evidence.ts';
import { invalidSamples, validSample } from '../src/schema-sample.ts';
import { pathVariants } from '../src/checks/path-tricks.ts';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlc2lnbmF0dXJl';

describe('probe: evidence never carries a credential', () => {
  it('replaces known tokens by their variable and any other JWT by [jwt]', () => {
    const other = 'eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.';
    assert.equal(
      redact(`Bearer ${JWT} and ${other}x`, [{ token: JWT, variable: 'TOKEN_A' }]),
      'Bearer $TOKEN_A and [jwt]',
    );
  });

  it('writes curl with the token as a variable and the path as sent', () => {
    const command = curlOf(
      'https://127.0.0.1:8443',
      { method: 'GET', path: "/x/%2e%2e/orders'", bearer: { token: JWT, variable: 'TOKEN_A' } },
      '--cacert ca.pem',
    );
    assert.equal(
      command,
      `curl -sS -i --path-as-is --cacert ca.pem -X GET 'https://127.0.0.1:8443/x/%2e%2e/orders'\\''' -H "Authorization: Bearer $TOKEN_A"`,
    );
    assert.ok(!command.includes(JWT));
  });
});

describe('probe: the credentials file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-creds-'));
  const write = (value: unknown): string => {
    const file = join(dir, `${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };

  it('reads two users, a client and ${env:NAME} references', () => {
    const creds = readCredentials(write({ userA: JWT, userB: '${env:PROBE_B}', client: 'opaque' }), {
      PROBE_B: 'token-b',
    });
    assert.equal(creds.userA.variable, 'TOKEN_A');
    assert.deepEqual(creds.userA.claims, { sub: 'a' });
    assert.equal(creds.userB.token, 'token-b');
    assert.equal(creds.client?.claims, undefined);
  });

  for (const [name, content, message] of [
    ['one user only', { userA: JWT }, /userA and userB/],
    ['the same token twice', { userA: JWT, userB: JWT }, /the same token/],
    ['an unknown key', { userA: JWT, userB: 'b', users: [] }, /unknown key users/],
    ['an unset variable', { userA: JWT, userB: '${env:NOT_SET_PROBE}' }, /NOT_SET_PROBE.*not set/],
    ['a public signing key', { userA: JWT, userB: 'b', signingKey: { kty: 'EC' } }, /private JWK/],
  ] as const)
    it(`refuses ${name}, naming no token`, () => {
      assert.throws(
        () => readCredentials(write(content), {}),
        (error: Error) =>
          error instanceof CredentialsError && message.test(error.message) && !error.message.includes(JWT),
      );
    });
});

describe('probe: bodies from a route schema', () => {
  const order = {
    type: 'object',
    additionalProperties: false,
    required: ['items'],
    properties: {
      items: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['sku', 'quantity'],
          properties: {
            sku: { type: 'string', pattern: '^[A-Z0-9-]{1,32}$' },
            quantity: { type: 'integer', minimum: 1, maximum: 100 },
          },
        },
      },
    },
  };

  it('makes a valid body, using patterns and bounds', () => {
    assert.deepEqual(validSample(order), { items: [{ sku: 'PROBE-1', quantity: 1 }] });
    assert.equal(validSample({ type: 'string', pattern: '^(0[1-9]|1[0-2])/[0-9]{2}$' }), '12/30');
    assert.equal(validSample({ type: 'string', examples: ['TEA-GREEN'] }), 'TEA-GREEN');
  });

  it('makes bodies that break it: wrong type, missing required, undeclared property', () => {
    assert.deepEqual(
      invalidSamples(order).map((s) => s.body),
      ['[]', '{}', '{"items":[{"sku":"PROBE-1","quantity":1}],"rampartProbe":true}'],
    );
  });

  it('rewrites a path into the forms careless routers confuse', () => {
    const variants = new Map(pathVariants('/orders', '/health'));
    assert.equal(variants.get('encoded-dot-dot'), '/rampart-probe/%2e%2e/orders');
    assert.equal(variants.get('encoded-letter'), '/%6frders');
    assert.equal(variants.get('public-encoded-slash'), '/health%2f../orders');
  });
});

describe('probe: docs/probe.md', () => {
  const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/probe.md'), 'utf8');

  it('lists every rule with its severity and CWE, at the anchor its SARIF helpUri names', () => {
    assert.equal(PROBE_RULES.size, 31);
    for (const rule of PROBE_RULES.values()) {
      const anchor = ruleAnchor(rule.id);
      assert.equal(helpUri(rule), `${PROBE_DOCS_URL}#${anchor}`);
      const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.match(
        doc,
        new RegExp(
          `\\| <a id="${anchor}"></a>\`${rule.id}\` +\\| ${rule.severity} +\\| CWE-${rule.cwe?.[0]} +\\| ${escape(rule.short)} +\\|`,
        ),
        rule.id,
      );
    }
  });
});

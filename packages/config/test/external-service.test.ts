import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDiff, externalPath, parseConfig, parseExternalUrl } from '@rampart/config';
import { BASE, problemsOf } from './helpers.ts';

/** BASE plus an external upstream (its lines start at 14). */
const EXTERNAL = `${BASE}external:
  partner:
    url: https://partner.example.com:8443/api
    ca: certs/partner-ca.pem
    routes:
      - method: GET
        path: /partner/quotes
        policy: signed-in
`;
// 14 external, 15 partner, 16 url, 17 ca, 18 routes, 19 - method, 20 path, 21 policy

function withExternal(...replacements: [string, string][]): string {
  let text = EXTERNAL;
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`test bug: ${JSON.stringify(from)} is not in the config`);
    text = text.replace(from, to);
  }
  return text;
}

describe('external upstreams: HTTPS outside the mesh', () => {
  it('accepts an external upstream with a url, a pinned ca and routes', () => {
    const result = parseConfig(EXTERNAL, 'rampart.yaml');
    assert.ok(result.ok, JSON.stringify(result.problems));
    assert.equal(result.config.external?.['partner']?.routes?.length, 1);
  });

  const refusals: { name: string; edits: [string, string][]; code: string; line: number; message: RegExp }[] =
    [
      {
        name: 'an http url',
        edits: [['https://partner.example.com:8443/api', 'http://partner.example.com:8443/api']],
        code: 'CFG_EXTERNAL_URL',
        line: 16,
        message: /uses http: instead of https:/,
      },
      {
        name: 'credentials in the url',
        edits: [['https://partner.example.com', 'https://user:pw@partner.example.com']],
        code: 'CFG_EXTERNAL_URL',
        line: 16,
        message: /holds credentials/,
      },
      {
        name: 'a query in the url',
        edits: [['8443/api', '8443/api?key=1']],
        code: 'CFG_EXTERNAL_URL',
        line: 16,
        message: /has a query or fragment/,
      },
      {
        name: 'a dot segment in the base path',
        edits: [['8443/api', '8443/api/../admin']],
        code: 'CFG_EXTERNAL_URL',
        line: 16,
        message: /not in normalized form \(write https:\/\/partner\.example\.com:8443\/admin\)/,
      },
      {
        name: 'an encoded slash in the base path',
        edits: [['8443/api', '8443/a%2Fb']],
        code: 'CFG_EXTERNAL_URL',
        line: 16,
        message: /encoded dot, slash or backslash/,
      },
      {
        name: 'the default port written out',
        edits: [[':8443/api', ':443/api']],
        code: 'CFG_EXTERNAL_URL',
        line: 16,
        message: /not in normalized form \(write https:\/\/partner\.example\.com\/api\)/,
      },
      {
        name: 'an external upstream named in callers',
        edits: [['    callers: [gateway]\n', '    callers: [gateway, partner]\n']],
        code: 'CFG_EXTERNAL_IN_MESH',
        line: 9,
        message: /caller `partner` of service `orders` is an external upstream: it is outside the mesh/,
      },
      {
        name: 'an external upstream named like a service',
        edits: [['  partner:\n', '  orders:\n']],
        code: 'CFG_EXTERNAL_IN_MESH',
        line: 15,
        message: /`orders` is both a service \(in the mesh\) and an external upstream/,
      },
      {
        name: 'an external upstream named gateway',
        edits: [['  partner:\n', '  gateway:\n']],
        code: 'CFG_EXTERNAL_IN_MESH',
        line: 15,
        message: /`gateway` is reserved/,
      },
      {
        name: 'a route of an external upstream that duplicates a service route',
        edits: [['        path: /partner/quotes\n', '        path: /orders\n']],
        code: 'CFG_DUPLICATE_ROUTE',
        line: 20,
        message: /external upstream `partner`/,
      },
      {
        name: 'a route of an external upstream under /auth',
        edits: [['        path: /partner/quotes\n', '        path: /auth/quotes\n']],
        code: 'CFG_RESERVED_PATH',
        line: 20,
        message: /external upstream `partner`/,
      },
      {
        name: 'a route of an external upstream with an unknown policy',
        edits: [['  partner:\n', '  partner:\n']],
        code: 'CFG_UNKNOWN_POLICY',
        line: 21,
        message: /external upstream `partner`/,
      },
    ];
  for (const c of refusals) {
    it(`refuses ${c.name} (${c.code}), at the line`, () => {
      // The last `policy:` is the external route's (the service's own comes first).
      const text =
        c.code === 'CFG_UNKNOWN_POLICY'
          ? EXTERNAL.replace(/policy: signed-in\n$/, 'policy: nobody\n')
          : withExternal(...c.edits);
      const problem = problemsOf(text).find((p) => p.code === c.code);
      assert.ok(problem, `no ${c.code} for ${c.name}: ${JSON.stringify(problemsOf(text))}`);
      assert.equal(problem.line, c.line);
      assert.match(problem.message, c.message);
    });
  }

  it('reports a caller naming an external upstream once, not also as an undeclared caller', () => {
    const problems = problemsOf(
      withExternal(['    callers: [gateway]\n', '    callers: [gateway, partner]\n']),
    );
    assert.deepEqual(
      problems.map((p) => p.code),
      ['CFG_EXTERNAL_IN_MESH'],
    );
  });

  it('refuses the keys of a service in an external upstream (it has no port, entry, callers…)', () => {
    for (const key of [
      'port: 7200',
      'entry: partner.ts',
      'callers: [gateway]',
      'upstream: http://127.0.0.1:5000',
    ]) {
      const problems = problemsOf(
        withExternal(['    ca: certs/partner-ca.pem\n', `    ca: certs/partner-ca.pem\n    ${key}\n`]),
      );
      assert.ok(
        problems.some((p) => p.code === 'CFG_UNKNOWN_KEY' && p.line === 18),
        `${key}: ${JSON.stringify(problems)}`,
      );
    }
  });

  it('an edit of external concerns the gateway alone: not a change that restarts everything', () => {
    const a = parseConfig(EXTERNAL, 'a.yaml');
    const b = parseConfig(withExternal(['/api\n', '/api/v2\n']), 'b.yaml');
    assert.ok(a.ok && b.ok);
    assert.deepEqual(configDiff(a.config, b.config).otherChanged, []);
  });
});

describe('parseExternalUrl and externalPath', () => {
  it('reads origin, port and base path', () => {
    assert.deepEqual(parseExternalUrl('https://partner.example:8443/api/v1'), {
      ok: true,
      origin: 'https://partner.example:8443',
      host: 'partner.example',
      port: 8443,
      basePath: '/api/v1',
    });
    assert.deepEqual(parseExternalUrl('https://[2001:db8::1]'), {
      ok: true,
      origin: 'https://[2001:db8::1]',
      host: '2001:db8::1',
      port: 443,
      basePath: '',
    });
    assert.equal(parseExternalUrl('https://partner.example/api/').ok, true);
  });

  it('joins a target under the base, and refuses any that would climb out of it', () => {
    assert.equal(externalPath('/api', '/quotes/7?fx=EUR'), '/api/quotes/7?fx=EUR');
    assert.equal(externalPath('', '/quotes'), '/quotes');
    assert.equal(externalPath('/api', '/a?next=../../x'), '/api/a?next=../../x');
    for (const target of [
      '/../admin',
      '/a/..',
      '/a/%2E%2e/b',
      '/./a',
      '/a%2Fb',
      '/a%5cb',
      'quotes',
      '/a\\b',
    ]) {
      assert.throws(() => externalPath('/api', target), TypeError, target);
    }
  });
});

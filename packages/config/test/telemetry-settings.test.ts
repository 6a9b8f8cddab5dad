import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '@rampart/config';
import { edit } from './helpers.ts';

function withTelemetry(traces: string): string {
  return edit(['name: shop', `name: shop\ntelemetry:\n  traces:\n${traces}`]);
}

function problemsOf(text: string): string[] {
  return parseConfig(text, 'rampart.yaml').problems.map(
    (p) => `${p.code} ${String(p.line)}:${p.message} | ${p.fix ?? ''}`,
  );
}

const TRACES_OK = `    endpoint: https://collector.example:4318/v1/traces
    headers:
      authorization: \${env:OTLP_AUTHORIZATION}
      x-scope-orgid: \${file:secrets/otlp-tenant}
    sampleRatio: 0.25
`;

describe('telemetry.traces in rampart.yaml', () => {
  it('accepts an https endpoint, headers as references and a sample ratio', () => {
    const result = parseConfig(withTelemetry(TRACES_OK), 'rampart.yaml');
    assert.deepEqual(result.problems, []);
    assert.ok(result.ok);
    assert.equal(result.config.telemetry?.traces?.endpoint, 'https://collector.example:4318/v1/traces');
    assert.deepEqual(result.config.telemetry.traces.headers, {
      authorization: '${env:OTLP_AUTHORIZATION}',
      'x-scope-orgid': '${file:secrets/otlp-tenant}',
    });
    assert.equal(result.config.telemetry.traces.sampleRatio, 0.25);
  });

  for (const endpoint of [
    'http://127.0.0.1:4318/v1/traces',
    'http://127.8.9.10:4318/v1/traces',
    'http://[::1]:4318/v1/traces',
  ]) {
    it(`accepts plain http to a loopback collector: ${endpoint}`, () => {
      assert.deepEqual(problemsOf(withTelemetry(`    endpoint: ${endpoint}\n`)), []);
    });
  }

  it('accepts the section without traces, and no section at all', () => {
    assert.deepEqual(problemsOf(edit(['name: shop', 'name: shop\ntelemetry: {}'])), []);
    assert.equal(parseConfig(edit(), 'rampart.yaml').ok, true);
  });

  const refused: readonly [string, string, RegExp][] = [
    [
      'plain http to another host',
      '    endpoint: http://collector.example:4318/v1/traces\n',
      /^CFG_INVALID_VALUE 5:`telemetry.traces.endpoint` must use https \(plain http only to a collector on 127.0.0.1 or \[::1\]\)/,
    ],
    [
      'plain http to localhost (a name, not a loopback literal)',
      '    endpoint: http://localhost:4318/v1/traces\n',
      /^CFG_INVALID_VALUE 5:`telemetry.traces.endpoint` must use https/,
    ],
    [
      'plain http to a private address',
      '    endpoint: http://10.0.0.5:4318/v1/traces\n',
      /^CFG_INVALID_VALUE 5:`telemetry.traces.endpoint` must use https/,
    ],
    ['another scheme', '    endpoint: grpc://collector.example:4317\n', /^CFG_INVALID_VALUE 5:/],
    ['a relative URL', '    endpoint: /v1/traces\n', /^CFG_INVALID_VALUE 5:/],
    [
      'a password in the URL',
      '    endpoint: https://user:pw@collector.example/v1/traces\n',
      /^CFG_INVALID_VALUE 5:/,
    ],
    [
      'no endpoint',
      '    sampleRatio: 1\n',
      /^CFG_MISSING_KEY 5:missing key `endpoint` in `telemetry.traces`/,
    ],
    [
      'a ratio above 1',
      '    endpoint: https://c.example/v1/traces\n    sampleRatio: 1.5\n',
      /^CFG_INVALID_VALUE 6:/,
    ],
    [
      'a negative ratio',
      '    endpoint: https://c.example/v1/traces\n    sampleRatio: -0.1\n',
      /^CFG_INVALID_VALUE 6:/,
    ],
    [
      'an unknown key',
      '    endpoint: https://c.example/v1/traces\n    protocol: grpc\n',
      /^CFG_UNKNOWN_KEY 6:/,
    ],
    [
      'a header the exporter sets itself',
      '    endpoint: https://c.example/v1/traces\n    headers:\n      Content-Type: ${env:CT}\n',
      /^CFG_INVALID_VALUE 7:`telemetry.traces.headers` may not set `Content-Type`/,
    ],
    [
      'a header name that is not a token',
      '    endpoint: https://c.example/v1/traces\n    headers:\n      "bad header": ${env:X}\n',
      /^CFG_/,
    ],
  ];
  for (const [name, traces, pattern] of refused) {
    it(`refuses ${name}`, () => {
      const problems = problemsOf(withTelemetry(traces));
      assert.ok(
        problems.some((problem) => pattern.test(problem)),
        `expected ${String(pattern)} in ${JSON.stringify(problems)}`,
      );
    });
  }

  // Whatever the header's name, its value is the collector's credential: a value written inline is
  // refused, and the message names the place, never the value.
  const inline: readonly [string, string][] = [
    ['authorization', 'Bearer s3cr3t-otlp-token-value'],
    ['x-honeycomb-team', 'hcaik_01hsecretsecretsecret'],
    ['x-scope-orgid', 'tenant-1'],
    ['api-key', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
  ];
  for (const [header, value] of inline) {
    it(`refuses a plaintext value for header ${header}, without echoing it`, () => {
      const text = withTelemetry(
        `    endpoint: https://c.example/v1/traces\n    headers:\n      ${header}: ${value}\n`,
      );
      const result = parseConfig(text, 'rampart.yaml');
      assert.equal(result.ok, false);
      const problems = result.problems.filter((p) => p.severity !== 'warning');
      assert.deepEqual(
        problems.map((p) => [p.code, p.line, p.message]),
        [
          [
            'CFG_INLINE_SECRET',
            7,
            `\`telemetry.traces.headers.${header}\` is written inline; a secret must be a reference`,
          ],
        ],
      );
      assert.ok(!JSON.stringify(result.problems).includes(value), 'the value is never echoed');
    });
  }

  it('refuses a header whose value is not a string, without echoing it', () => {
    const text = withTelemetry(
      '    endpoint: https://c.example/v1/traces\n    headers:\n      authorization: 123456789\n',
    );
    const problems = problemsOf(text);
    assert.ok(
      problems.some((p) => p.startsWith('CFG_INVALID_VALUE 7:')),
      JSON.stringify(problems),
    );
    assert.ok(!JSON.stringify(problems).includes('123456789'));
  });
});

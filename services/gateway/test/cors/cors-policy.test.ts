import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRampartError } from '@rampart/errors';
import {
  addCorsHeaders,
  compileCorsPolicy,
  type CorsConfig,
  type CorsOutcome,
} from '../../src/cors/index.ts';

const APP = 'https://app.example';
const HOST = { host: '127.0.0.1:8443' };

function decide(
  config: CorsConfig | undefined,
  method: string,
  headers: Record<string, string>,
): CorsOutcome | string {
  try {
    return compileCorsPolicy(config).decide(method, { ...HOST, ...headers });
  } catch (error) {
    assert.ok(isRampartError(error), String(error));
    assert.equal(error.code, 'GW_CORS_REFUSED');
    return `refused: ${error.detail ?? ''}`;
  }
}

describe('compileCorsPolicy', () => {
  const config: CorsConfig = { origins: [APP], credentials: true };

  it('adds nothing to a request without Origin, or from the gateway itself, but says answers vary', () => {
    assert.deepEqual(decide(config, 'GET', {}), { kind: 'answer', headers: { vary: 'Origin' } });
    assert.deepEqual(decide(config, 'POST', { origin: 'https://127.0.0.1:8443' }), {
      kind: 'answer',
      headers: { vary: 'Origin' },
    });
    assert.deepEqual(decide(undefined, 'GET', {}), { kind: 'answer', headers: undefined });
  });

  it('echoes an allowed origin, never "*" with credentials', () => {
    assert.deepEqual(decide(config, 'GET', { origin: APP }), {
      kind: 'answer',
      headers: {
        'access-control-allow-origin': APP,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-request-id, retry-after',
        vary: 'Origin',
      },
    });
  });

  it('answers an allowed preflight with the configured methods, headers and max age', () => {
    assert.deepEqual(
      decide({ ...config, methods: ['GET', 'POST'], maxAge: '1h' }, 'OPTIONS', {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'Content-Type, authorization',
      }),
      {
        kind: 'preflight',
        headers: {
          'access-control-allow-origin': APP,
          'access-control-allow-credentials': 'true',
          'access-control-allow-methods': 'GET, POST',
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': '3600',
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        },
      },
    );
  });

  it('answers "*" without credentials with "*"', () => {
    const outcome = decide({ origins: ['*'] }, 'GET', { origin: 'https://anyone.example' });
    assert.equal(
      (outcome as { headers: Record<string, string> }).headers['access-control-allow-origin'],
      '*',
    );
  });

  const refusals: [
    label: string,
    config: CorsConfig | undefined,
    method: string,
    headers: Record<string, string>,
  ][] = [
    ['an origin not on the list', config, 'GET', { origin: 'https://evil.example' }],
    ['a look-alike origin', config, 'GET', { origin: 'https://app.example.evil.example' }],
    ['the origin with another scheme', config, 'GET', { origin: 'http://app.example' }],
    ['the origin with a port', config, 'GET', { origin: 'https://app.example:444' }],
    ['the null origin', config, 'POST', { origin: 'null' }],
    [
      'a preflight for a method not allowed',
      { ...config, methods: ['GET'] },
      'OPTIONS',
      { origin: APP, 'access-control-request-method': 'DELETE' },
    ],
    [
      'a preflight for a header not allowed',
      config,
      'OPTIONS',
      {
        origin: APP,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-rampart-user',
      },
    ],
    ['any cross-origin request when cors is not configured', undefined, 'POST', { origin: APP }],
    [
      'a preflight when cors is not configured',
      undefined,
      'OPTIONS',
      { origin: APP, 'access-control-request-method': 'GET' },
    ],
  ];
  for (const [label, cfg, method, headers] of refusals) {
    it(`refuses ${label}`, () => {
      const outcome = decide(cfg, method, headers);
      assert.equal(typeof outcome, 'string', JSON.stringify(outcome));
      assert.match(outcome as string, /^refused: /u);
    });
  }

  it('refuses "*" with credentials, and "*" beside origins, with a TypeError', () => {
    assert.throws(() => compileCorsPolicy({ origins: ['*'], credentials: true }), TypeError);
    assert.throws(() => compileCorsPolicy({ origins: ['*', APP] }), TypeError);
  });
});

describe('addCorsHeaders', () => {
  it('merges Vary with the answer’s own', () => {
    const headers: Record<string, string | string[] | number> = { vary: 'Accept', 'content-type': 'a/b' };
    addCorsHeaders(headers, { 'access-control-allow-origin': APP, vary: 'Origin' });
    assert.deepEqual(headers, {
      vary: 'Accept, Origin',
      'content-type': 'a/b',
      'access-control-allow-origin': APP,
    });
  });
});

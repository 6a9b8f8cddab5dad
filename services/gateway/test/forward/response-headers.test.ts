import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  identityResponseHeaders,
  isUpstreamErrorStatus,
  sanitizeResponseHeaders,
  securityHeaders,
} from '../../src/forward/response-headers.ts';

describe('sanitizeResponseHeaders', () => {
  it('keeps the allow-list and drops banners, cookies, hop-by-hop and anything else', () => {
    const kept = {
      'content-type': 'application/json',
      'content-length': '12',
      'cache-control': 'no-store',
      etag: '"v1"',
      'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT',
      location: '/orders/1',
      vary: 'Accept',
      'retry-after': '3',
      'www-authenticate': 'Bearer error="insufficient_scope"',
      'content-language': 'en',
      expires: '0',
      'x-request-id': 'req-1',
    };
    const dropped = {
      server: 'nginx/1.2',
      'x-powered-by': 'Express',
      via: '1.1 orders',
      'set-cookie': ['sid=1', 'other=2'],
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      trailer: 'x',
      'x-debug-sql': 'SELECT *',
      'x-backend-host': 'orders-7.internal',
      'access-control-allow-origin': '*',
      'strict-transport-security': 'max-age=0',
    };
    assert.deepEqual(sanitizeResponseHeaders({ ...kept, ...dropped }), kept);
  });

  it('lower-cases names and copies lists', () => {
    const vary = ['Accept', 'Accept-Encoding'];
    const result = sanitizeResponseHeaders({ 'Content-Type': 'text/plain', Vary: vary });
    assert.deepEqual(result, { 'content-type': 'text/plain', vary });
    assert.notEqual(result['vary'], vary);
  });

  it('drops a location naming an internal address', () => {
    for (const location of [
      'https://127.0.0.1:7001/orders/1',
      'http://localhost/x',
      'https://[::1]:7001/',
      'https://10.1.2.3/',
      'http://api.localhost/',
    ]) {
      assert.deepEqual(sanitizeResponseHeaders({ location }), {}, location);
    }
    for (const location of ['/orders/1', 'orders/1?x=1', 'https://pay.example.com/checkout']) {
      assert.deepEqual(sanitizeResponseHeaders({ location }), { location }, location);
    }
    assert.deepEqual(sanitizeResponseHeaders({ location: ['/a', '/b'] }), {}, 'several locations');
  });
});

describe('securityHeaders', () => {
  it('sends HSTS, nosniff, no referrer, no framing, same-site resources', () => {
    assert.deepEqual(securityHeaders(), {
      'strict-transport-security': 'max-age=63072000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-resource-policy': 'same-site',
    });
  });

  it('returns a fresh object each time', () => {
    const first = securityHeaders();
    first['x-frame-options'] = 'ALLOW';
    assert.equal(securityHeaders()['x-frame-options'], 'DENY');
  });
});

describe('isUpstreamErrorStatus', () => {
  it('is true for 5xx only', () => {
    assert.deepEqual([200, 302, 404, 499, 500, 502, 503, 599, 600].map(isUpstreamErrorStatus), [
      false,
      false,
      false,
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('identityResponseHeaders', () => {
  const INTERNAL = 8444;

  it('keeps what OAuth needs, drops banners, and adds the security headers identity did not set', () => {
    const headers = identityResponseHeaders(
      {
        'Content-Type': 'application/json',
        'set-cookie': ['_session=1; path=/auth; secure; httponly', '_x=; path=/auth'],
        'dpop-nonce': 'n-1',
        pragma: 'no-cache',
        'cache-control': 'no-store',
        'www-authenticate': 'DPoP error="invalid_dpop_proof"',
        'access-control-allow-origin': 'http://127.0.0.1:5173',
        'access-control-expose-headers': 'WWW-Authenticate, DPoP-Nonce',
        'content-security-policy': "default-src 'self'",
        server: 'koa',
        'x-powered-by': 'oidc-provider',
        via: '1.1 identity',
        'strict-transport-security': 'max-age=0',
        'x-content-type-options': 'sniff-away',
      },
      INTERNAL,
    );
    assert.deepEqual(headers, {
      'content-type': 'application/json',
      'set-cookie': ['_session=1; path=/auth; secure; httponly', '_x=; path=/auth'],
      'dpop-nonce': 'n-1',
      pragma: 'no-cache',
      'cache-control': 'no-store',
      'www-authenticate': 'DPoP error="invalid_dpop_proof"',
      'access-control-allow-origin': 'http://127.0.0.1:5173',
      'access-control-expose-headers': 'WWW-Authenticate, DPoP-Nonce',
      'content-security-policy': "default-src 'self'",
      ...securityHeaders(),
    });
  });

  it("keeps identity's own framing and referrer policies, never its HSTS", () => {
    const headers = identityResponseHeaders(
      {
        'x-frame-options': 'SAMEORIGIN',
        'referrer-policy': 'origin',
        'strict-transport-security': 'max-age=1',
      },
      INTERNAL,
    );
    assert.equal(headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(headers['referrer-policy'], 'origin');
    assert.equal(headers['strict-transport-security'], securityHeaders()['strict-transport-security']);
  });

  const locations: [string, boolean][] = [
    ['/auth/interaction/abc', true],
    ['http://127.0.0.1:5173/callback?code=x', true],
    ['http://[::1]:5173/callback', true],
    ['https://127.0.0.1:8443/auth/interaction/abc', true],
    ['https://app.example/cb', true],
    ['myapp://callback?code=x', true],
    [`https://127.0.0.1:${INTERNAL}/auth/interaction/abc`, false],
    [`https://localhost:${INTERNAL}/x`, false],
    [`https://[::1]:${INTERNAL}/x`, false],
    [`http://127.0.0.2:${INTERNAL}/x`, false],
  ];
  for (const [location, kept] of locations) {
    it(`${kept ? 'keeps' : 'drops'} Location ${location}`, () => {
      assert.equal(identityResponseHeaders({ location }, INTERNAL)['location'], kept ? location : undefined);
    });
  }
});

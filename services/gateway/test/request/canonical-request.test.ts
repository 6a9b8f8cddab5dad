import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALLOWED_METHODS, canonicalRequest, type RawRequest } from '../../src/request/canonical-request.ts';
import { assertCode } from './assert-code.ts';

function raw(overrides: Partial<RawRequest> = {}): RawRequest {
  return {
    method: 'GET',
    rawTarget: '/orders//42?expand=items',
    rawHeaders: ['Host', 'shop.example', 'X-Rampart-User', 'admin', 'Accept', 'application/json'],
    headers: { host: 'shop.example', 'x-rampart-user': 'admin', accept: 'application/json' },
    ...overrides,
  };
}

describe('canonicalRequest', () => {
  it('composes method, canonical path, query and stripped headers into one frozen object', () => {
    const request = canonicalRequest(raw());
    assert.deepEqual(
      { ...request, headers: { ...request.headers } },
      {
        method: 'GET',
        path: '/orders/42',
        segments: ['orders', '42'],
        query: 'expand=items',
        target: '/orders/42?expand=items',
        headers: { host: 'shop.example', accept: 'application/json' },
      },
    );
    assert.ok(Object.isFrozen(request));
    assert.ok(Object.isFrozen(request.segments));
    assert.ok(Object.isFrozen(request.headers));
  });

  it('freezes array header values too', () => {
    const request = canonicalRequest(raw({ headers: { cookie: ['a=1', 'b=2'] } }));
    assert.ok(Object.isFrozen(request.headers.cookie));
  });

  for (const method of ALLOWED_METHODS) {
    it(`allows ${method}`, () => {
      assert.equal(canonicalRequest(raw({ method })).method, method);
    });
  }

  for (const method of [
    'TRACE',
    'CONNECT',
    'PROPFIND',
    'get',
    'Get',
    'GET ',
    '',
    'G\u0000ET',
    'X'.repeat(100),
  ]) {
    it(`refuses method ${JSON.stringify(method.slice(0, 12))} with GW_METHOD_NOT_ALLOWED`, () => {
      assertCode(() => canonicalRequest(raw({ method })), 'GW_METHOD_NOT_ALLOWED');
    });
  }

  it('refuses OPTIONS * (asterisk-form) like any non-origin-form target', () => {
    assertCode(() => canonicalRequest(raw({ method: 'OPTIONS', rawTarget: '*' })), 'GW_BAD_PATH');
  });

  it('passes through the code of the stage that refused', () => {
    assertCode(() => canonicalRequest(raw({ rawTarget: '/..;/admin' })), 'GW_BAD_PATH');
    assertCode(() => canonicalRequest(raw({ rawTarget: `/${'a'.repeat(9000)}` })), 'GW_URI_TOO_LONG');
    assertCode(
      () => canonicalRequest(raw({ rawHeaders: ['Content-Length', '1', 'Transfer-Encoding', 'chunked'] })),
      'GW_BAD_HEADER',
    );
    assertCode(
      () => canonicalRequest(raw({ rawHeaders: ['X-A', '1', 'X-B', '2'] }), { maxHeaderCount: 1 }),
      'GW_HEADERS_TOO_LARGE',
    );
    assertCode(() => canonicalRequest(raw({ rawTarget: '/a/b' }), { maxSegments: 1 }), 'GW_URI_TOO_LONG');
  });
});

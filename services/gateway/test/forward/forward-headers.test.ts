import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardedRequestHeaders } from '../../src/forward/forward-headers.ts';

describe('forwardedRequestHeaders', () => {
  const context = {
    credentials: { kind: 'internal-token', token: 'tok' },
    clientIp: '198.51.100.9',
    host: 'shop.example',
    requestId: 'r1',
  } as const;

  it('drops credentials, proxy chains, hop-by-hop fields and any x-forwarded-*, whatever the case', () => {
    const headers = forwardedRequestHeaders(
      {
        Authorization: 'Bearer client',
        'Proxy-Authorization': 'Basic x',
        Cookie: 'a=1',
        'X-Forwarded-For': '1.2.3.4',
        'X-Forwarded-Port': '80',
        'x-forwarded-prefix': '/admin',
        Forwarded: 'for=1.2.3.4',
        'X-Real-IP': '1.2.3.4',
        Host: 'evil',
        'Content-Length': '5',
        Connection: 'close',
        'Keep-Alive': 'timeout=1',
        TE: 'trailers',
        Trailer: 'x',
        'Transfer-Encoding': 'chunked',
        Upgrade: 'websocket',
        Expect: '100-continue',
        Traceparent: '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01',
        'X-Request-Id': 'client',
        Accept: 'text/html',
        absent: undefined,
      },
      context,
    );
    assert.deepEqual(headers, {
      accept: 'text/html',
      authorization: 'Bearer tok',
      'x-forwarded-for': '198.51.100.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example',
      'x-request-id': 'r1',
    });
  });

  it('adds traceparent when given', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    assert.equal(forwardedRequestHeaders({}, { ...context, traceparent })['traceparent'], traceparent);
  });

  it('drops a DPoP proof on the way to a service: it is a client credential', () => {
    assert.equal(forwardedRequestHeaders({ dpop: 'proof' }, context)['dpop'], undefined);
  });

  it("keeps the client's authorization, cookie and dpop with client credentials (identity), and adds no token", () => {
    const headers = forwardedRequestHeaders(
      {
        Authorization: 'Basic c2hvcC1jbGk6cw==',
        cookie: ['_session=a', '_other=b'],
        dpop: 'proof',
        'proxy-authorization': 'Basic x',
        'x-forwarded-host': 'evil.example',
        forwarded: 'for=1.2.3.4',
        accept: 'application/json',
      },
      { ...context, credentials: { kind: 'client' } },
    );
    assert.deepEqual(headers, {
      authorization: 'Basic c2hvcC1jbGk6cw==',
      cookie: ['_session=a', '_other=b'],
      dpop: 'proof',
      accept: 'application/json',
      'x-forwarded-for': '198.51.100.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example',
      'x-request-id': 'r1',
    });
  });

  it('sends no authorization at all with client credentials when the client sent none', () => {
    assert.equal(
      forwardedRequestHeaders({}, { ...context, credentials: { kind: 'client' } })['authorization'],
      undefined,
    );
  });
});

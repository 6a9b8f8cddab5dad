import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardedRequestHeaders } from '../../src/forward/forward-headers.ts';

describe('forwardedRequestHeaders', () => {
  const context = { internalToken: 'tok', clientIp: '198.51.100.9', host: 'shop.example', requestId: 'r1' };

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
});

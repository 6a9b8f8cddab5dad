import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripIdentityHeaders } from '../../src/request/strip-identity-headers.ts';

describe('stripIdentityHeaders', () => {
  const identity = [
    'x-rampart-user',
    'X-Rampart-User',
    'X-RAMPART-SCOPES',
    'x_rampart_user',
    'X_Rampart_Groups',
    'x-rampart_user',
    'x-forwarded-user',
    'X-Forwarded-User',
    'x_forwarded_user',
    'X-Forwarded_User',
    'x-forwarded-email',
    'X_FORWARDED_EMAIL',
    'x-forwarded-groups',
    'x-forwarded-preferred-username',
    'x-remote-user',
    'X_Remote_User',
    'remote-user',
    'remote_user',
    'x-user',
    'X_USER',
    'x-user-id',
    'x-auth-user',
    'X-Auth-Request-Email',
    'x_auth_roles',
    'x-authenticated-userid',
    'x-consumer-username',
    'x-webauth-user',
    'x-client-cert',
  ];
  for (const name of identity) {
    it(`drops identity claim ${name}`, () => {
      assert.deepEqual({ ...stripIdentityHeaders({ [name]: 'admin', accept: '*/*' }) }, { accept: '*/*' });
    });
  }

  const hopByHop = [
    'connection',
    'Keep-Alive',
    'keep_alive',
    'proxy-authorization',
    'Proxy-Connection',
    'proxy_authenticate',
    'te',
    'TE',
    'trailer',
    'transfer-encoding',
    'Transfer_Encoding',
    'upgrade',
  ];
  for (const name of hopByHop) {
    it(`drops hop-by-hop ${name}`, () => {
      assert.deepEqual({ ...stripIdentityHeaders({ [name]: 'x', accept: '*/*' }) }, { accept: '*/*' });
    });
  }

  it('drops the fields Connection names, in any case and spelling, string or array', () => {
    const out = stripIdentityHeaders({
      connection: ['keep-alive, X-Debug', ' x_trace ,,'],
      'x-debug': '1',
      'X-Trace': '2',
      'x-keep': '3',
    });
    assert.deepEqual({ ...out }, { 'x-keep': '3' });
  });

  it('does not let Connection remove fields later stages read', () => {
    const headers = {
      connection: 'host, content-length, content-type, authorization, cookie',
      host: 'shop.example',
      'content-length': '2',
      'content-type': 'application/json',
      authorization: 'Bearer t',
      cookie: 'a=1',
    };
    const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'connection'));
    assert.deepEqual({ ...stripIdentityHeaders(headers) }, kept);
  });

  it('keeps ordinary headers, including look-alikes that claim nothing', () => {
    const headers = {
      accept: '*/*',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'https',
      'x-request-id': 'abc',
      'user-agent': 'curl/8',
      'x-username-hint': 'n',
      'x-rampart': 'bare prefix without dash',
      'set-cookie': ['a=1', 'b=2'],
    };
    assert.deepEqual({ ...stripIdentityHeaders(headers) }, headers);
  });

  it('returns a new object, copies arrays, skips undefined values and treats __proto__ as data', () => {
    const cookies = ['a=1'];
    const input: Record<string, string | string[] | undefined> = { cookie: cookies, missing: undefined };
    Object.defineProperty(input, '__proto__', { value: 'x', enumerable: true });
    const out = stripIdentityHeaders(input);
    assert.notEqual(out, input);
    assert.notEqual(out.cookie, cookies);
    assert.deepEqual(out.cookie, cookies);
    assert.equal('missing' in out, false);
    assert.equal(Object.getPrototypeOf(out), null);
    assert.equal(out.__proto__, 'x');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityEndpointLabel } from '@rampart/config';

describe('identityEndpointLabel', () => {
  const cases: [string, string][] = [
    ['/.well-known/openid-configuration', 'discovery'],
    ['/authorize?client_id=x', 'authorize'],
    ['/request', 'pushed_authorization'],
    ['/token', 'token'],
    ['/token/', 'token'],
    ['/token/introspection', 'introspection'],
    ['/token/revocation', 'revocation'],
    ['/me', 'userinfo'],
    ['/jwks', 'jwks'],
    ['/session/end/confirm', 'end_session'],
    ['/interaction/Zx81/login', 'interaction'],
    ['/admin/users/6b1c/sessions', 'admin'],
    ['/account', 'account'],
    ['/assets/site.css', 'assets'],
    ['/', 'other'],
    ['/constructor', 'other'],
    ['/__proto__/x', 'other'],
    ['/tokens', 'other'],
    ['/9f86d081884c7d659a2feaa0c55ad015', 'other'],
  ];
  for (const [path, label] of cases) {
    it(`${path} → ${label}`, () => {
      assert.equal(identityEndpointLabel(path), label);
    });
  }
});

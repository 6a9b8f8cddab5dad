import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';

const REDIRECT = 'http://127.0.0.1:5173/callback';

/** RFC 9700 §2.1 and §4.1: what the authorization endpoint refuses before anyone signs in. */
describe('authorization requests (RFC 9700): exact redirect URIs, PKCE S256 only, code flow only', () => {
  let h: Harness;
  let challenge: string;

  before(async () => {
    h = await startIdentity();
    challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
  });
  after(async () => {
    await h.close();
  });

  function authorize(params: Record<string, string>): Promise<Response> {
    const query = new URLSearchParams({
      client_id: 'shop-web',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st',
      ...params,
    });
    for (const [key, value] of Object.entries(params)) if (value === '') query.delete(key);
    return h.fetch(`${h.issuer}/authorize?${query.toString()}`, { redirect: 'manual' });
  }

  it('starts an interaction for a well-formed request (the baseline the refusals differ from)', async () => {
    const res = await authorize({});
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /^\/auth\/interaction\/[A-Za-z0-9_-]+$/);
  });

  for (const [label, uri] of [
    ['a trailing slash', `${REDIRECT}/`],
    ['other case', 'http://127.0.0.1:5173/Callback'],
    ['an extra query', `${REDIRECT}?next=/admin`],
    ['an encoded slash', 'http://127.0.0.1:5173/callback%2F..%2Fevil'],
    ['another port', 'http://127.0.0.1:5174/callback'],
    ['a subdomain', 'http://evil.127.0.0.1:5173/callback'],
    ['userinfo before the host', 'http://127.0.0.1:5173@evil.example/callback'],
    ['a fragment', `${REDIRECT}#x`],
    ['another scheme', 'https://127.0.0.1:5173/callback'],
  ] as const) {
    it(`refuses a redirect URI with ${label} on an error page, never redirecting`, async () => {
      const res = await authorize({ redirect_uri: uri });
      assert.equal(res.status, 400, `${label}: ${res.status}`);
      assert.equal(res.headers.get('location'), null);
      const body = await res.text();
      assert.match(body, /invalid_redirect_uri|redirect_uri/);
      assert.doesNotMatch(body, /<script/i);
    });
  }

  it('refuses an unknown client on an error page', async () => {
    const res = await authorize({ client_id: 'no-such-client' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /invalid_client/);
  });

  it('refuses a request without PKCE, and the plain method', async () => {
    for (const params of [
      { code_challenge: '', code_challenge_method: '' },
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
    ]) {
      const res = await authorize(params);
      assert.equal(res.status, 303);
      const location = new URL(res.headers.get('location') ?? '', h.issuer);
      assert.equal(
        `${location.origin}${location.pathname}`,
        REDIRECT,
        'errors go to the registered URI only',
      );
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.equal(location.searchParams.get('iss'), h.issuer, 'RFC 9207: iss in every response');
    }
  });

  it('refuses the implicit and hybrid flows', async () => {
    for (const responseType of ['token', 'id_token', 'code id_token', 'code token']) {
      const res = await authorize({ response_type: responseType });
      assert.ok(res.status === 303 || res.status === 400, responseType);
      const location = res.headers.get('location');
      if (location !== null) {
        const url = new URL(location, h.issuer);
        assert.equal(
          url.searchParams.get('error') ?? new URLSearchParams(url.hash.slice(1)).get('error'),
          'unsupported_response_type',
        );
        assert.equal(url.hash.includes('access_token'), false);
      }
    }
  });

  it('refuses a client asking for a scope it was not given', async () => {
    const res = await authorize({ scope: 'openid orders:write' });
    const location = new URL(res.headers.get('location') ?? '', h.issuer);
    assert.equal(location.searchParams.get('error'), 'invalid_scope');
  });

  it('serves its error pages with the security headers: no framing, no referrer, no sniffing', async () => {
    const res = await authorize({ client_id: 'no-such-client' });
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });
});

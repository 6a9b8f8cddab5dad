import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';

/**
 * The web console's built-in client `rampart-console`: authorization code + PKCE to exactly
 * `<gateway origin>/console/callback`, allowed the admin API's audience, no refresh token.
 */
describe('the built-in rampart-console client', () => {
  let h: Harness;
  let challenge: string;
  let gateway: string;

  before(async () => {
    h = await startIdentity();
    gateway = h.identity.settings.apiAudience;
    challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
  });
  after(async () => {
    await h.close();
  });

  function authorize(params: Record<string, string>): Promise<Response> {
    const query = new URLSearchParams({
      client_id: 'rampart-console',
      response_type: 'code',
      scope: 'openid profile admin',
      redirect_uri: `${gateway}/console/callback`,
      resource: `${h.issuer}/admin`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st',
      ...params,
    });
    return h.fetch(`${h.issuer}/authorize?${query.toString()}`, { redirect: 'manual' });
  }

  it('starts a sign-in for the admin audience, redirected to the console callback', async () => {
    const res = await authorize({});
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /^\/auth\/interaction\//u);
  });

  for (const uri of ['/console/', '/console/callback/', '/console/callback?x=1', '/console/callbac']) {
    it(`refuses the redirect ${uri} (exact match only), never redirecting`, async () => {
      const res = await authorize({ redirect_uri: `${gateway}${uri}` });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
    });
  }

  it('refuses another origin for the callback', async () => {
    const res = await authorize({ redirect_uri: 'https://evil.example/console/callback' });
    assert.equal(res.status, 400);
  });

  it('is registered with the code grant only (no refresh token), MFA, and as an admin client', async () => {
    const client = await h.identity.provider().Client.find('rampart-console');
    assert.ok(client !== undefined);
    const metadata = client.metadata();
    assert.deepEqual(metadata.grant_types, ['authorization_code']);
    assert.deepEqual(metadata.redirect_uris, [`${gateway}/console/callback`]);
    assert.deepEqual(metadata.post_logout_redirect_uris, [`${gateway}/console/`]);
    assert.equal(metadata.token_endpoint_auth_method, 'none');
    assert.equal(metadata['rampart_require_mfa'], true);
    assert.equal(metadata['rampart_admin_client'], true);
  });
});

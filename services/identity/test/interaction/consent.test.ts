import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';
import {
  authorization,
  CALLBACK,
  csrfOf,
  exchange,
  formAction,
  INTERACTION_IDENTITY,
  jwtClaims,
  PASSWORD,
  publicClient,
  type Authorization,
} from './support.ts';
import { TestBrowser, type Page } from '@rampart/testing';

const PARTNER = 'partner-app';
const PARTNER_CALLBACK = 'https://partner.example/callback';
const API = 'https://127.0.0.1:8443';

/*
 * Every client of rampart.yaml is first-party. A third-party client is one the admin API
 * registers (`firstParty: false`); this test stores one the way the admin API's client registry
 * does for the provider: a `Client` row through oidc-provider's own client adapter.
 */
describe('consent: first-party clients are granted silently, third-party clients ask', () => {
  let h: Harness;
  let shop: oidc.Configuration;
  let partner: oidc.Configuration;
  let ip = 0;

  before(async () => {
    h = await startIdentity({ identityYaml: INTERACTION_IDENTITY });
    const clientAdapter = (
      h.identity.provider().Client as unknown as {
        adapter: { upsert(id: string, payload: Record<string, unknown>, ttl?: number): Promise<void> };
      }
    ).adapter;
    await clientAdapter.upsert(PARTNER, {
      client_id: PARTNER,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [PARTNER_CALLBACK],
      application_type: 'web',
      scope: 'openid profile orders:read',
      id_token_signed_response_alg: 'ES256',
      rampart_first_party: false,
    });
    shop = await publicClient(h, 'shop-web');
    partner = await publicClient(h, PARTNER);
    await h.identity.accounts.createUser({ username: 'nina', password: PASSWORD });
  });
  after(async () => {
    await h.close();
  });

  function partnerAuthorization(scope: string): Promise<Authorization> {
    return authorization(partner, scope, { redirect_uri: PARTNER_CALLBACK });
  }

  async function toConsent(b: TestBrowser, auth: Authorization): Promise<Page> {
    const login = await b.visit(auth.url);
    if (!/Sign in/.test(login.html)) return login;
    return b.submit(formAction(login.html, '/login'), {
      csrf: csrfOf(login.html),
      username: 'nina',
      password: PASSWORD,
    });
  }

  it('grants a first-party client without a page', async () => {
    ip += 1;
    const b = new TestBrowser(h, `10.8.0.${String(ip)}`);
    const page = await toConsent(b, await authorization(shop));
    assert.ok(page.url.startsWith(CALLBACK));
    assert.ok(h.events.some((e) => e.event === 'consent.granted' && e.reason === 'first_party'));
  });

  it('shows a third-party client what it asks for, and grants exactly that on Allow', async () => {
    const b = new TestBrowser(h, '10.8.1.1');
    const auth = await partnerAuthorization('openid orders:read');
    const consent = await toConsent(b, auth);
    assert.equal(consent.status, 200);
    assert.match(consent.html, /Allow access\?/);
    assert.match(consent.html, /partner-app/);
    assert.match(consent.html, /Know who you are/);
    assert.match(consent.html, /<code>orders:read<\/code>/);
    assert.doesNotMatch(consent.html, /Your name and username/, 'profile was not asked for');

    const done = await b.submit(formAction(consent.html, '/consent'), {
      csrf: csrfOf(consent.html),
      decision: 'allow',
    });
    assert.ok(done.url.startsWith(PARTNER_CALLBACK), `back to the client: ${done.url}`);
    const tokens = await exchange(partner, done.url, auth);
    const access = jwtClaims(tokens.access_token);
    assert.equal(access['scope'], 'openid orders:read');
    // Exactly what the prompt listed as missing, nothing the client may have but did not ask for.
    // (src/oidc/provider.ts registers API scopes as OIDC scopes and the API accepts the client's
    // whole scope, so the requested scopes appear on both sides.)
    const grant = await h.identity.provider().Grant.find(String(access['gid']));
    assert.equal(grant?.getOIDCScope(), 'openid orders:read');
    assert.equal(grant.getResourceScope(API), 'openid orders:read');
    assert.ok(h.events.some((e) => e.event === 'consent.granted' && e.reason === 'user_allowed'));

    // Asking for more later shows only what is new, and adds only that.
    const more = await partnerAuthorization('openid profile orders:read');
    const second = await b.visit(more.url);
    assert.match(second.html, /Your name and username/);
    assert.doesNotMatch(second.html, /Know who you are/);
    assert.doesNotMatch(second.html, /orders:read/);
    const again = await b.submit(formAction(second.html, '/consent'), {
      csrf: csrfOf(second.html),
      decision: 'allow',
    });
    assert.ok(again.url.startsWith(PARTNER_CALLBACK));
    const widened = await h.identity.provider().Grant.find(String(access['gid']));
    assert.equal(widened?.getOIDCScope(), 'openid orders:read profile');
    assert.equal(widened.getResourceScope(API), 'openid orders:read profile');
  });

  it('returns access_denied to the client on Deny, and grants nothing', async () => {
    const b = new TestBrowser(h, '10.8.2.1');
    const auth = await partnerAuthorization('openid');
    const consent = await toConsent(b, auth);
    const denied = await b.submit(formAction(consent.html, '/consent'), {
      csrf: csrfOf(consent.html),
      decision: 'deny',
    });
    const url = new URL(denied.url);
    assert.equal(url.origin + url.pathname, PARTNER_CALLBACK);
    assert.equal(url.searchParams.get('error'), 'access_denied');
    assert.equal(url.searchParams.get('state'), auth.state);
    assert.equal(url.searchParams.get('code'), null);
    assert.ok(h.events.some((e) => e.event === 'consent.denied' && e.reason === 'user_denied'));
  });

  it('refuses a consent post without its CSRF token', async () => {
    const b = new TestBrowser(h, '10.8.3.1');
    const consent = await toConsent(b, await partnerAuthorization('openid orders:read'));
    const forged = await b.post(formAction(consent.html, '/consent'), { decision: 'allow' });
    assert.equal(forged.status, 403);
  });
});

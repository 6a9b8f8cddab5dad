import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import { totpCode, type Page, type TestBrowser } from '@rampart/testing';
import type { Harness } from '../support/harness.ts';

/** Where the test relying party is redirected back to (nothing listens there). */
export const CALLBACK = 'http://127.0.0.1:5173/callback';

/** The identity YAML most interaction tests use: shop-web, an MFA-requiring client, an MFA group. */
export const INTERACTION_IDENTITY = `
  mfa:
    requireForGroups: [admins]
  clients:
    - id: shop-web
      type: public
      grants: [authorization_code, refresh_token]
      redirectUris: [${CALLBACK}]
      scopes: [openid, profile, orders:read]
    - id: vault-web
      type: public
      grants: [authorization_code]
      redirectUris: [${CALLBACK}]
      scopes: [openid]
      requireMfa: true
`;

/** A password that passes the policy. */
export const PASSWORD = 'correct horse battery staple 42';

/** The relying party's side of one authorization request. */
export interface Authorization {
  readonly url: string;
  readonly verifier: string;
  readonly state: string;
}

/** openid-client configured for a public client of the harness. */
export async function publicClient(h: Harness, clientId = 'shop-web'): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(h.issuer), clientId, undefined, oidc.None(), {
    [oidc.customFetch]: h.fetch as unknown as oidc.CustomFetch,
  });
}

/** An authorization URL with PKCE (S256) and state, as a browser-based app builds it. */
export async function authorization(
  config: oidc.Configuration,
  scope = 'openid orders:read',
  extra: Record<string, string> = {},
): Promise<Authorization> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  return { url: url.href, verifier, state };
}

/** Exchanges the code of a callback URL (PKCE and state checked by openid-client). */
export function exchange(
  config: oidc.Configuration,
  callbackUrl: string,
  auth: Authorization,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  return oidc.authorizationCodeGrant(config, new URL(callbackUrl), {
    pkceCodeVerifier: auth.verifier,
    expectedState: auth.state,
  });
}

/** The value of a hidden input, or of any attribute, on a page. */
export function inputValue(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  assert.ok(match, `no input named ${name} in the page`);
  return match[1] ?? '';
}

/** The action of the first form posting to a path ending with `suffix`. */
export function formAction(html: string, suffix: string): string {
  const match = new RegExp(`action="([^"]*${suffix.replaceAll('/', '\\/')})"`).exec(html);
  assert.ok(match, `no form posting to …${suffix}`);
  return match[1] ?? '';
}

/** A page's CSRF token. */
export function csrfOf(html: string): string {
  return inputValue(html, 'csrf');
}

/** The base32 secret shown on an enrolment page. */
export function shownSecret(html: string): string {
  return inputValue(html, 'secret');
}

/** The recovery codes listed on a recovery-codes page. */
export function recoveryCodes(html: string): string[] {
  return [...html.matchAll(/<li><code>([2-9A-HJ-NP-Z]{6}(?:-[2-9A-HJ-NP-Z]{6}){3})<\/code><\/li>/g)].map(
    (m) => m[1] ?? '',
  );
}

/** Waits until `predicate` holds (events written after a response, for instance). */
export async function eventually(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await sleep(10);
  }
}

/**
 * Signs in with a password through the pages: authorization request, login form, then (optional)
 * second-factor code; returns the callback URL reached.
 */
export async function signIn(
  browser: TestBrowser,
  auth: Authorization,
  credentials: { username: string; password: string; totpSecret?: string },
): Promise<Page> {
  const login = await browser.visit(auth.url);
  assert.equal(login.status, 200, 'the login page is shown');
  let page = await browser.submit(formAction(login.html, '/login'), {
    csrf: csrfOf(login.html),
    username: credentials.username,
    password: credentials.password,
  });
  if (credentials.totpSecret !== undefined && !page.url.startsWith(CALLBACK)) {
    page = await browser.submit(formAction(page.html, '/mfa'), {
      csrf: csrfOf(page.html),
      method: 'totp',
      code: totpCode(credentials.totpSecret),
    });
  }
  return page;
}

/** The claims of a JWT (no verification: openid-client verified the ID token already). */
export function jwtClaims(jwt: string): Record<string, unknown> {
  const [, payload = ''] = jwt.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Creates a user with a confirmed TOTP factor (confirmed with the previous step's code, so the current one is still unused). */
export async function createUserWithTotp(
  h: Harness,
  username: string,
  extra: { groups?: string[] } = {},
): Promise<{ id: string; secret: string; recoveryCodes: readonly string[] }> {
  const user = await h.identity.accounts.createUser({ username, password: PASSWORD, ...extra });
  const { secret } = await h.identity.totp.begin(user.id, { issuer: 'Rampart', label: username });
  const confirmation = await h.identity.totp.confirm(user.id, totpCode(secret, -1));
  assert.ok(confirmation.confirmed, 'the TOTP factor is confirmed');
  return { id: user.id, secret, recoveryCodes: confirmation.recoveryCodes };
}

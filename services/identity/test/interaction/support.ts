import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
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

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

/**
 * A minimal browser over the harness's trusting fetch: a cookie jar honouring `Path` (oidc-provider
 * scopes its interaction cookies by path), redirects followed by hand, and the `Origin` and
 * `Sec-Fetch-Site` headers a real browser sends on form posts.
 */
export class TestBrowser {
  readonly #h: Harness;
  readonly #cookies = new Map<string, StoredCookie>();
  /** `X-Forwarded-For` to send (the client address identity counts attempts under). */
  ip: string | undefined;

  constructor(h: Harness, ip?: string) {
    this.#h = h;
    this.ip = ip;
  }

  get origin(): string {
    return new URL(this.#h.issuer).origin;
  }

  /** One request, no redirect followed; cookies sent and stored. */
  async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Response> {
    const target = new URL(url, this.#h.issuer);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(target.pathname);
    if (cookie !== '') headers['cookie'] = cookie;
    if (this.ip !== undefined) headers['x-forwarded-for'] = this.ip;
    const res = await this.#h.fetch(target.href, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    for (const line of res.headers.getSetCookie()) this.#store(line);
    return res;
  }

  /** GET `url` and follow redirects inside identity; stops at a page or on leaving identity's origin. */
  async visit(url: string): Promise<Page> {
    let res = await this.request(url);
    let current = new URL(url, this.#h.issuer).href;
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops += 1) {
      const location = res.headers.get('location');
      assert.ok(location !== null, 'a redirect has a Location');
      current = new URL(location, current).href;
      if (new URL(current).origin !== this.origin)
        return { status: res.status, url: current, html: '', headers: res.headers };
      res = await this.request(current);
    }
    return { status: res.status, url: current, html: await res.text(), headers: res.headers };
  }

  /** Posts a form the way a browser does from a page of this origin, then follows the redirects. */
  async submit(
    action: string,
    fields: Record<string, string>,
    options: { headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const res = await this.post(action, fields, options);
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location') ?? '';
      const next = new URL(location, new URL(action, this.#h.issuer)).href;
      if (new URL(next).origin !== this.origin)
        return { status: res.status, url: next, html: '', headers: res.headers };
      return this.visit(next);
    }
    return { status: res.status, url: action, html: await res.text(), headers: res.headers };
  }

  /** The raw form POST (no redirect followed). */
  post(
    action: string,
    fields: Record<string, string>,
    options: { headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return this.request(action, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.origin,
        ...options.headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** A JSON POST as the passkey script sends it. */
  async postJson(url: string, body: unknown, csrf: string): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-csrf-token': csrf,
        origin: 'null',
        'sec-fetch-site': 'same-origin',
      },
      body: JSON.stringify(body),
    });
  }

  cookieHeader(path: string): string {
    return [...this.#cookies.values()]
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  hasCookie(name: string): boolean {
    return [...this.#cookies.values()].some((c) => c.name === name);
  }

  #store(line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = '/';
    let expired = value === '';
    for (const attribute of attributes) {
      const [key = '', val = ''] = attribute.split('=').map((part) => part.trim());
      if (key.toLowerCase() === 'path') path = val;
      if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
      if (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now()) expired = true;
    }
    const key = `${path}\0${name}`;
    if (expired) this.#cookies.delete(key);
    else this.#cookies.set(key, { name, value, path });
  }
}

export interface Page {
  readonly status: number;
  readonly url: string;
  readonly html: string;
  readonly headers: Headers;
}

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

/** The current TOTP code for a base32 secret (the code of `offsetSteps` steps from now). */
export function totpCode(secret: string, offsetSteps = 0): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    timestamp: Date.now() + offsetSteps * 30_000,
  });
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

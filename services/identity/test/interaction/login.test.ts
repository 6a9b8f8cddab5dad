import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';
import {
  authorization,
  CALLBACK,
  csrfOf,
  eventually,
  exchange,
  formAction,
  INTERACTION_IDENTITY,
  jwtClaims,
  PASSWORD,
  publicClient,
  signIn,
} from './support.ts';
import { TestBrowser } from '@rampart/testing';

describe('sign-in page: password login over HTTPS, driven like a browser', () => {
  let h: Harness;
  let config: oidc.Configuration;

  before(async () => {
    h = await startIdentity({ identityYaml: INTERACTION_IDENTITY });
    config = await publicClient(h);
    await h.identity.accounts.createUser({ username: 'alice', password: PASSWORD });
    const disabled = await h.identity.accounts.createUser({ username: 'dora', password: PASSWORD });
    await h.identity.accounts.disableUser(disabled.id);
  });
  after(async () => {
    await h.close();
  });

  it('signs in with a password and issues tokens saying so (amr pwd, acr pwd)', async () => {
    const browser = new TestBrowser(h, '198.51.100.1');
    const auth = await authorization(config);
    const done = await signIn(browser, auth, { username: 'alice', password: PASSWORD });
    assert.ok(done.url.startsWith(CALLBACK), `redirected back to the client, got ${done.url}`);
    const callback = new URL(done.url);
    assert.equal(callback.searchParams.get('iss'), h.issuer, 'RFC 9207 iss in the response');
    const tokens = await exchange(config, done.url, auth);
    const access = jwtClaims(tokens.access_token);
    assert.deepEqual(access['amr'], ['pwd']);
    assert.equal(access['acr'], 'urn:rampart:acr:pwd');
    assert.equal(typeof access['auth_time'], 'number');
    const user = await h.identity.accounts.findByUsername('alice');
    assert.equal(tokens.claims()?.sub, user?.id);
    assert.ok(
      h.events.some(
        (e) => e.event === 'login.succeeded' && e.reason === 'password' && e.subject?.startsWith('ps_'),
      ),
    );
  });

  it('scopes the SSO session cookie to the issuer (Path=/auth): the applications beside it never receive it', async () => {
    const browser = new TestBrowser(h, '198.51.100.9');
    const done = await signIn(browser, await authorization(config), {
      username: 'alice',
      password: PASSWORD,
    });
    assert.ok(done.url.startsWith(CALLBACK));
    assert.match(browser.cookieHeader('/auth/account'), /(?:^|; )_session=/);
    assert.doesNotMatch(browser.cookieHeader('/orders'), /_session/);
    assert.doesNotMatch(browser.cookieHeader('/'), /_session/);
  });

  it('puts amr and acr in the ID token too', async () => {
    const auth = await authorization(config);
    const done = await signIn(new TestBrowser(h, '198.51.100.9'), auth, {
      username: 'alice',
      password: PASSWORD,
    });
    const claims = (await exchange(config, done.url, auth)).claims();
    assert.deepEqual(claims?.['amr'], ['pwd']);
    assert.equal(claims['acr'], 'urn:rampart:acr:pwd');
  });

  it('serves the page unframeable, without referrer, without third-party resources or inline script', async () => {
    const browser = new TestBrowser(h, '198.51.100.2');
    const page = await browser.visit((await authorization(config)).url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const scripts = [...page.html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(
      scripts,
      ['<script src="/auth/assets/passkey.js" defer>'],
      'only the passkey script, by URL',
    );
    assert.doesNotMatch(
      page.html,
      /\s(?:src|href|action)="(?:https?:)?\/\//,
      'no absolute URL to any origin',
    );
    assert.doesNotMatch(page.html, /\sstyle="|\son[a-z]+="/, 'no inline style or event handler');
    // Accessible: language, labelled inputs with the right autocomplete, a heading.
    assert.match(page.html, /<html lang="en">/);
    assert.match(page.html, /<h1>Sign in<\/h1>/);
    assert.match(page.html, /<label for="username">/);
    assert.match(page.html, /<input\s+id="username"[^>]*autocomplete="username"/);
    assert.match(page.html, /<label for="password">/);
    assert.match(page.html, /<input\s+id="password"[^>]*autocomplete="current-password"/);
    const cookies = page.headers.getSetCookie().find((c) => c.startsWith('__Secure-rampart-csrf='));
    assert.match(
      cookies ?? '',
      /; Path=\/auth\/interaction\/[A-Za-z0-9_-]+; Secure; HttpOnly; SameSite=Strict$/,
    );
    const script = await browser.request('/auth/assets/passkey.js');
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await script.text(), /navigator\.credentials\.get/);
  });

  it('answers a wrong password, an unknown user and a disabled account identically', async () => {
    const answers: { status: number; body: string }[] = [];
    for (const [username, password, ip] of [
      ['alice', 'not the right password', '198.51.100.3'],
      ['nobody-here', 'not the right password', '198.51.100.4'],
      ['dora', PASSWORD, '198.51.100.5'],
    ] as const) {
      const browser = new TestBrowser(h, ip);
      const login = await browser.visit((await authorization(config)).url);
      // The form echoes the username: the bodies are compared with it masked.
      const again = await browser.submit(formAction(login.html, '/login'), {
        csrf: csrfOf(login.html),
        username,
        password,
      });
      answers.push({ status: again.status, body: normalize(again.html, username) });
      assert.match(again.html, /The username or password is incorrect\./);
      assert.doesNotMatch(again.html, new RegExp(`value="${password}"`), 'the password is never echoed');
      assert.match(again.html, /aria-describedby="login-error"/);
    }
    assert.equal(answers[0]?.status, 401);
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
    await eventually(() => h.events.filter((e) => e.event === 'login.failed').length >= 3);
    const failed = h.events.filter((e) => e.event === 'login.failed');
    assert.ok(failed.every((e) => e.reason === 'bad_credentials'));
    assert.ok(
      failed.some((e) => e.subject === undefined),
      'an unknown user has no subject',
    );
    assert.ok(
      failed.some((e) => e.subject !== undefined),
      'a known user is named by pseudonym',
    );
    for (const event of h.events)
      assert.doesNotMatch(JSON.stringify(event), /alice|nobody-here|dora|not the right/);
  });

  it('takes as long for an unknown user as for a wrong password (medians of 10 within 25%)', async () => {
    const time = async (username: string, i: number): Promise<number> => {
      const browser = new TestBrowser(h, `203.0.113.${String(i)}`);
      const login = await browser.visit((await authorization(config)).url);
      const action = formAction(login.html, '/login');
      const csrf = csrfOf(login.html);
      const started = process.hrtime.bigint();
      const res = await browser.post(action, { csrf, username, password: 'wrong password again' });
      await res.text();
      assert.equal(res.status, 401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      // Interleaved, each from its own address (no brute-force delay involved).
      known.push(await time('alice', 10 + i));
      unknown.push(await time(`ghost${String(i)}`, 30 + i));
    }
    const a = median(known);
    const b = median(unknown);
    assert.ok(Math.abs(a - b) / Math.max(a, b) < 0.25, `medians ${a.toFixed(1)} ms vs ${b.toFixed(1)} ms`);
  });

  it('pre-fills login_hint and asks for both fields', async () => {
    const browser = new TestBrowser(h, '198.51.100.6');
    const page = await browser.visit((await authorization(config, 'openid', { login_hint: 'alice' })).url);
    assert.match(page.html, /id="username"[^>]*value="alice"/);
    const empty = await browser.submit(formAction(page.html, '/login'), {
      csrf: csrfOf(page.html),
      username: 'alice',
      password: '',
    });
    assert.equal(empty.status, 400);
    assert.match(empty.html, /Enter your username and password\./);
  });

  it('shows an expiry page for an unknown interaction, and refuses other methods', async () => {
    const browser = new TestBrowser(h, '198.51.100.7');
    const page = await browser.visit('/auth/interaction/doesnotexist123');
    assert.equal(page.status, 400);
    assert.match(page.html, /expired/);
    const put = await browser.request('/auth/interaction/doesnotexist123', { method: 'PUT' });
    assert.equal(put.status, 405);
  });
});

/** The page with what legitimately differs between two renderings removed. */
function normalize(html: string, username: string): string {
  return html
    .replaceAll(/\/interaction\/[A-Za-z0-9_-]+/g, '/interaction/UID')
    .replaceAll(/name="csrf" value="[^"]*"/g, 'name="csrf" value="CSRF"')
    .replaceAll(/data-csrf="[^"]*"/g, 'data-csrf="CSRF"')
    .replaceAll(`value="${username}"`, 'value="USERNAME"');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return ((sorted[4] ?? 0) + (sorted[5] ?? 0)) / 2;
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';
import {
  authorization,
  CALLBACK,
  csrfOf,
  formAction,
  INTERACTION_IDENTITY,
  PASSWORD,
  publicClient,
} from './support.ts';
import { TestBrowser } from '@rampart/testing';

describe('CSRF protection of the sign-in forms', () => {
  let h: Harness;
  let config: oidc.Configuration;

  before(async () => {
    h = await startIdentity({ identityYaml: INTERACTION_IDENTITY });
    config = await publicClient(h);
    await h.identity.accounts.createUser({ username: 'carol', password: PASSWORD });
  });
  after(async () => {
    await h.close();
  });

  /** A fresh login page: its form action and token. */
  async function loginPage(ip: string): Promise<{ browser: TestBrowser; action: string; csrf: string }> {
    const browser = new TestBrowser(h, ip);
    const page = await browser.visit((await authorization(config)).url);
    return { browser, action: formAction(page.html, '/login'), csrf: csrfOf(page.html) };
  }

  const refusals: readonly {
    readonly name: string;
    readonly fields: (csrf: string) => Record<string, string>;
    readonly headers?: Record<string, string>;
  }[] = [
    { name: 'no token', fields: () => ({}) },
    { name: 'an empty token', fields: () => ({ csrf: '' }) },
    { name: 'a wrong token', fields: () => ({ csrf: 'A'.repeat(43) }) },
    { name: 'the token twice', fields: (csrf) => ({ csrf }), headers: {} },
    { name: 'a foreign Origin', fields: (csrf) => ({ csrf }), headers: { origin: 'https://evil.example' } },
    {
      name: 'a foreign Origin on another port',
      fields: (csrf) => ({ csrf }),
      headers: { origin: 'https://127.0.0.1:1' },
    },
    { name: 'Origin null without fetch metadata', fields: (csrf) => ({ csrf }), headers: { origin: 'null' } },
    {
      name: 'Origin null from another site',
      fields: (csrf) => ({ csrf }),
      headers: { origin: 'null', 'sec-fetch-site': 'cross-site' },
    },
  ];

  for (const refusal of refusals) {
    it(`refuses a login post with ${refusal.name} (403, nobody signed in)`, async () => {
      const { browser, action, csrf } = await loginPage('192.0.2.10');
      const fields = { username: 'carol', password: PASSWORD, ...refusal.fields(csrf) };
      let body = new URLSearchParams(fields).toString();
      if (refusal.name === 'the token twice') body += `&csrf=${csrf}`;
      const res = await browser.request(action, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: browser.origin,
          ...refusal.headers,
        },
        body,
      });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /Request refused/);
      assert.equal(res.headers.get('location'), null);
      assert.ok(!browser.hasCookie('_session'), 'no session was created');
    });
  }

  it('refuses a token that belongs to another browser', async () => {
    const mine = await loginPage('192.0.2.11');
    const theirs = await loginPage('192.0.2.12');
    const res = await mine.browser.post(mine.action, {
      csrf: theirs.csrf,
      username: 'carol',
      password: PASSWORD,
    });
    assert.equal(res.status, 403);
  });

  it('accepts Origin null with Sec-Fetch-Site same-origin (what a no-referrer page sends)', async () => {
    const { browser, action, csrf } = await loginPage('192.0.2.13');
    const done = await browser.submit(
      action,
      { csrf, username: 'carol', password: PASSWORD },
      { headers: { origin: 'null', 'sec-fetch-site': 'same-origin' } },
    );
    assert.ok(done.url.startsWith(CALLBACK));
    assert.ok(h.events.some((e) => e.event === 'request.rejected' && e.reason === 'csrf_failed'));
  });

  it('refuses the passkey JSON endpoints without the token header or from another origin', async () => {
    const { browser, action } = await loginPage('192.0.2.14');
    const optionsUrl = action.replace(/\/login$/, '/passkey/options');
    const noToken = await browser.request(optionsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: browser.origin },
      body: '{}',
    });
    assert.equal(noToken.status, 403);
    const page = await browser.visit(action.replace(/\/login$/, ''));
    const foreign = await browser.request(optionsUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'https://evil.example',
        'x-csrf-token': csrfOf(page.html),
      },
      body: '{}',
    });
    assert.equal(foreign.status, 403);
    const asForm = await browser.request(optionsUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: browser.origin, 'x-csrf-token': csrfOf(page.html) },
      body: '{}',
    });
    assert.equal(asForm.status, 415, 'a cross-site form cannot send application/json');
  });

  it('refuses oversized bodies before reading them', async () => {
    const { browser, action, csrf } = await loginPage('192.0.2.15');
    const res = await browser.post(action, { csrf, username: 'carol', password: 'x'.repeat(20_000) });
    assert.equal(res.status, 413);
  });
});

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
  signIn,
  type Authorization,
} from './support.ts';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { SoftwareAuthenticator } from '../accounts/software-authenticator.ts';
import { TestBrowser } from '@rampart/testing';

interface Ceremony {
  readonly challengeId: string;
  readonly options: PublicKeyCredentialRequestOptionsJSON;
}

/*
 * The passkey endpoints at HTTP level, with a software authenticator (the browser test covers the
 * same flows with Chromium's virtual authenticator and the real script).
 */
describe('passkeys at sign-in (JSON endpoints)', () => {
  let h: Harness;
  let config: oidc.Configuration;
  let ip = 0;

  before(async () => {
    h = await startIdentity({ identityYaml: INTERACTION_IDENTITY });
    config = await publicClient(h);
  });
  after(async () => {
    await h.close();
  });

  function browser(): TestBrowser {
    ip += 1;
    return new TestBrowser(h, `10.5.0.${String(ip)}`);
  }

  /** A user with a registered soft passkey. */
  /** A user with a registered software passkey (reporting user verification unless told otherwise). */
  async function userWithPasskey(
    username: string,
    userVerified = true,
  ): Promise<{ id: string; key: SoftwareAuthenticator }> {
    const user = await h.identity.accounts.createUser({ username, password: PASSWORD });
    const key = new SoftwareAuthenticator({ origin: new URL(h.issuer).origin, userVerified });
    const { challengeId, options } = await h.identity.passkeys.registrationOptions(user);
    const registered = await h.identity.passkeys.verifyRegistration(
      user.id,
      challengeId,
      key.register(options),
      'Soft key',
    );
    assert.ok(registered.ok, 'the soft passkey is registered');
    return { id: user.id, key };
  }

  async function ceremony(b: TestBrowser, base: string, csrf: string): Promise<Ceremony> {
    const res = await b.postJson(`${base}/passkey/options`, {}, csrf);
    assert.equal(res.status, 200);
    return (await res.json()) as Ceremony;
  }

  async function verify(
    b: TestBrowser,
    base: string,
    csrf: string,
    body: unknown,
  ): Promise<{ status: number; json: { location?: string; message?: string } }> {
    const res = await b.postJson(`${base}/passkey/verify`, body, csrf);
    return { status: res.status, json: (await res.json()) as { location?: string; message?: string } };
  }

  async function loginPage(b: TestBrowser, auth: Authorization): Promise<{ base: string; csrf: string }> {
    const page = await b.visit(auth.url);
    return { base: formAction(page.html, '/login').replace(/\/login$/, ''), csrf: csrfOf(page.html) };
  }

  it('signs in with a passkey alone (user verified): amr hwk user mfa', async () => {
    const { id, key } = await userWithPasskey('paula');
    const b = browser();
    const auth = await authorization(config);
    const { base, csrf } = await loginPage(b, auth);
    const { challengeId, options } = await ceremony(b, base, csrf);
    assert.equal(options.rpId, '127.0.0.1');
    assert.deepEqual(
      options.allowCredentials ?? [],
      [],
      'discoverable: no credential list before the user is known',
    );
    const result = await verify(b, base, csrf, { challengeId, response: key.authenticate(options) });
    assert.equal(result.status, 200);
    const done = await b.visit(result.json.location ?? '');
    assert.ok(done.url.startsWith(CALLBACK));
    const claims = jwtClaims((await exchange(config, done.url, auth)).access_token);
    assert.deepEqual(claims['amr'], ['hwk', 'user', 'mfa']);
    assert.equal(claims['acr'], 'urn:rampart:acr:mfa');
    assert.equal(claims['sub'], id);
  });

  it('refuses a passkey alone without user verification', async () => {
    const { key } = await userWithPasskey('quentin', false);
    const b = browser();
    const { base, csrf } = await loginPage(b, await authorization(config));
    const { challengeId, options } = await ceremony(b, base, csrf);
    const result = await verify(b, base, csrf, {
      challengeId,
      response: key.authenticate(options),
    });
    assert.equal(result.status, 401);
    assert.match(result.json.message ?? '', /did not verify you/);
    assert.ok(h.events.some((e) => e.event === 'login.failed' && e.reason === 'passkey_not_user_verified'));
    assert.ok(!b.hasCookie('_session'));
  });

  it('accepts only the answer to this interaction’s own challenge, once', async () => {
    const { key } = await userWithPasskey('rita');
    const b = browser();
    const { base, csrf } = await loginPage(b, await authorization(config));
    const foreign = await h.identity.passkeys.authenticationOptions();
    const wrong = await verify(b, base, csrf, {
      challengeId: foreign.challengeId,
      response: key.authenticate(foreign.options),
    });
    assert.equal(wrong.status, 400, 'a ceremony this interaction did not start');

    const { challengeId, options } = await ceremony(b, base, csrf);
    const response = key.authenticate(options);
    const other = browser();
    const page = await loginPage(other, await authorization(config));
    const stolen = await verify(other, page.base, page.csrf, { challengeId, response });
    assert.equal(stolen.status, 400, 'another interaction cannot use it');
    assert.equal((await verify(b, base, csrf, { challengeId, response })).status, 200);
    assert.equal((await verify(b, base, csrf, { challengeId, response })).status, 400, 'spent');
    assert.equal((await verify(b, base, csrf, { nothing: true })).status, 400, 'malformed');
  });

  it('uses a passkey as the second factor after the password (amr pwd hwk mfa), only the user’s own', async () => {
    const { id, key } = await userWithPasskey('sven', false);
    const mallory = await userWithPasskey('mallory');
    const b = browser();
    const auth = await authorization(config);
    const login = await b.visit(auth.url);
    const challenge = await b.submit(formAction(login.html, '/login'), {
      csrf: csrfOf(login.html),
      username: 'sven',
      password: PASSWORD,
    });
    assert.match(challenge.html, /Use a passkey/);
    assert.doesNotMatch(challenge.html, /name="method" value="totp"/, 'no TOTP form without TOTP');
    const base = formAction(login.html, '/login').replace(/\/login$/, '');
    const csrf = /data-csrf="([^"]+)"/.exec(challenge.html)?.[1] ?? '';

    const theirs = await ceremony(b, base, csrf);
    assert.deepEqual(
      theirs.options.allowCredentials?.map((c) => c.id),
      [key.credentialId],
      "only sven's passkeys are offered",
    );
    const refused = await verify(b, base, csrf, {
      challengeId: theirs.challengeId,
      response: mallory.key.authenticate(theirs.options),
    });
    assert.equal(refused.status, 401, "mallory's passkey is not sven's second factor");

    const mine = await ceremony(b, base, csrf);
    const result = await verify(b, base, csrf, {
      challengeId: mine.challengeId,
      response: key.authenticate(mine.options),
    });
    assert.equal(result.status, 200, 'after the password, presence is enough');
    const done = await b.visit(result.json.location ?? '');
    const claims = jwtClaims((await exchange(config, done.url, auth)).access_token);
    assert.deepEqual(claims['amr'], ['pwd', 'hwk', 'mfa']);
    assert.equal(claims['sub'], id);
  });

  it('registers a passkey from the account page endpoints', async () => {
    const user = await h.identity.accounts.createUser({ username: 'tina', password: PASSWORD });
    const b = browser();
    await signIn(b, await authorization(config), { username: 'tina', password: PASSWORD });
    const account = await b.visit('/auth/account');
    const csrf = csrfOf(account.html);
    const key = new SoftwareAuthenticator({ origin: new URL(h.issuer).origin });
    const options = await b.postJson('/auth/account/passkeys/options', {}, csrf);
    const { challengeId, options: creation } = (await options.json()) as {
      challengeId: string;
      options: PublicKeyCredentialCreationOptionsJSON;
    };
    const bad = await b.postJson(
      '/auth/account/passkeys/verify',
      { challengeId, response: key.register(creation), name: 'x'.repeat(65) },
      csrf,
    );
    assert.equal(bad.status, 400);
    const again = (await (await b.postJson('/auth/account/passkeys/options', {}, csrf)).json()) as {
      challengeId: string;
      options: PublicKeyCredentialCreationOptionsJSON;
    };
    const added = await b.postJson(
      '/auth/account/passkeys/verify',
      { challengeId: again.challengeId, response: key.register(again.options), name: 'Laptop' },
      csrf,
    );
    assert.equal(added.status, 200);
    assert.deepEqual(await added.json(), { location: '/auth/account?done=passkey_added' });
    const list = await h.identity.passkeys.list(user.id);
    assert.deepEqual(
      list.map((p) => p.name),
      ['Laptop'],
    );
    const page = await b.visit('/auth/account?done=passkey_added');
    assert.match(page.html, /Your passkey was added\./);
    const removed = await b.submit(formAction(page.html, '/passkeys/remove'), {
      csrf: csrfOf(page.html),
      credential: key.credentialId,
    });
    assert.match(removed.html, /The passkey was removed\./);
    assert.deepEqual(await h.identity.passkeys.list(user.id), []);
  });
});

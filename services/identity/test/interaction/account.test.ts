import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { endAllSessions, listSessions } from '../../src/account/index.ts';
import { startIdentity, type Harness } from '../support/harness.ts';
import {
  authorization,
  createUserWithTotp,
  csrfOf,
  exchange,
  formAction,
  INTERACTION_IDENTITY,
  PASSWORD,
  publicClient,
  recoveryCodes,
  shownSecret,
  signIn,
} from './support.ts';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { SoftwareAuthenticator } from '../accounts/software-authenticator.ts';
import { totpCode, TestBrowser } from '@rampart/testing';

const ACCOUNT = '/auth/account';

describe('account self-service pages', () => {
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

  /** A browser signed in as `username` through shop-web, with the refresh token it got. */
  async function signedIn(username: string): Promise<{ b: TestBrowser; refreshToken: string }> {
    ip += 1;
    const b = new TestBrowser(h, `10.6.0.${String(ip)}`);
    const auth = await authorization(config);
    const done = await signIn(b, auth, { username, password: PASSWORD });
    const tokens = await exchange(config, done.url, auth);
    assert.ok(tokens.refresh_token !== undefined, 'shop-web gets a refresh token');
    return { b, refreshToken: tokens.refresh_token };
  }

  async function setLoginTs(accountId: string, secondsAgo: number): Promise<void> {
    const rows = await h.store.all<{ id: string; payload: string }>(
      "SELECT id, payload FROM oidc_payloads WHERE model = 'Session' AND account_id = ?",
      [accountId],
    );
    const { sealing } = h.identity;
    for (const row of rows) {
      const payload = (await sealing.unseal('Session', row.id, row.payload)) as Record<string, unknown>;
      payload['loginTs'] = Math.floor(Date.now() / 1000) - secondsAgo;
      await h.store.run("UPDATE oidc_payloads SET payload = ? WHERE model = 'Session' AND id = ?", [
        await sealing.seal('Session', row.id, payload),
        row.id,
      ]);
    }
  }

  it('needs a signed-in session', async () => {
    const page = await new TestBrowser(h, '10.6.1.1').visit(ACCOUNT);
    assert.equal(page.status, 401);
    assert.match(page.html, /not signed in/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
  });

  it('shows the account, sessions and factors to the user who just signed in', async () => {
    await h.identity.accounts.createUser({ username: 'quinn', password: PASSWORD });
    const { b } = await signedIn('quinn');
    const page = await b.visit(ACCOUNT);
    assert.equal(page.status, 200);
    assert.match(page.html, /Signed in as <strong>quinn<\/strong>/);
    assert.match(page.html, /This browser/);
    assert.match(page.html, /shop-web/);
    assert.match(page.html, /data-passkey="create"/);
    assert.match(page.html, /<script src="\/auth\/assets\/passkey\.js" defer><\/script>/);
    assert.equal(page.headers.get('cache-control'), 'no-store');

    const options = await b.postJson(`${ACCOUNT}/passkeys/options`, {}, csrfOf(page.html));
    assert.equal(options.status, 200);
    const ceremony = (await options.json()) as {
      challengeId: string;
      options: { rp: { id: string }; user: { name: string } };
    };
    assert.equal(ceremony.options.rp.id, '127.0.0.1');
    assert.equal(ceremony.options.user.name, 'quinn');
  });

  it('refuses account posts without the CSRF token or from another origin', async () => {
    await h.identity.accounts.createUser({ username: 'rosa', password: PASSWORD });
    const { b } = await signedIn('rosa');
    const page = await b.visit(ACCOUNT);
    const action = formAction(page.html, '/sessions/end-all');
    assert.equal((await b.post(action, {})).status, 403);
    assert.equal(
      (await b.post(action, { csrf: csrfOf(page.html) }, { headers: { origin: 'https://evil.example' } }))
        .status,
      403,
    );
    assert.equal((await b.visit(ACCOUNT)).status, 200, 'still signed in');
  });

  it('sets up TOTP, makes new recovery codes and turns TOTP off', async () => {
    const user = await h.identity.accounts.createUser({ username: 'sam', password: PASSWORD });
    const { b } = await signedIn('sam');
    const page = await b.visit(ACCOUNT);
    const setup = await b.submit(formAction(page.html, '/totp/begin'), { csrf: csrfOf(page.html) });
    assert.match(setup.html, /Set up two-step verification/);
    const secret = shownSecret(setup.html);
    const codesPage = await b.submit(formAction(setup.html, '/totp/confirm'), {
      csrf: csrfOf(setup.html),
      secret,
      uri: inputValue(setup.html, 'uri'),
      code: totpCode(secret, -1),
    });
    const first = recoveryCodes(codesPage.html);
    assert.equal(first.length, 10);
    assert.equal(await h.identity.totp.hasTotp(user.id), true);

    const on = await b.visit(ACCOUNT);
    assert.match(on.html, /On\. 10 unused recovery codes left\./);
    const fresh = await b.submit(formAction(on.html, '/recovery-codes'), { csrf: csrfOf(on.html) });
    const second = recoveryCodes(fresh.html);
    assert.equal(second.length, 10);
    assert.equal(await h.identity.totp.useRecoveryCode(user.id, first[0] ?? ''), false, 'old codes are void');
    assert.equal(await h.identity.totp.useRecoveryCode(user.id, second[0] ?? ''), true);

    const off = await b.submit(formAction(on.html, '/totp/remove'), { csrf: csrfOf(on.html) });
    assert.match(off.html, /Two-step verification with an authenticator app is off\./);
    assert.equal(await h.identity.totp.hasTotp(user.id), false);
    for (const event of ['mfa.enrolled', 'recovery_codes.regenerated', 'mfa.removed']) {
      assert.ok(
        h.events.some((e) => e.event === event),
        event,
      );
    }
  });

  it('asks a user whose sign-in is older than 15 minutes to confirm it is them', async () => {
    const user = await h.identity.accounts.createUser({ username: 'tara', password: PASSWORD });
    const { b } = await signedIn('tara');
    await setLoginTs(user.id, 20 * 60);
    const stale = await b.visit(ACCOUNT);
    assert.equal(stale.status, 200);
    assert.match(stale.html, /Confirm it’s you/);
    assert.doesNotMatch(stale.html, /This browser/, 'nothing is shown before confirming');
    const blocked = await b.post(`${ACCOUNT}/sessions/end-all`, { csrf: csrfOf(stale.html) });
    assert.equal(blocked.status, 303, 'changes wait for the confirmation');
    assert.equal((await listSessions(h.identity, user.id)).length, 1);

    const wrong = await b.submit(formAction(stale.html, '/reauth'), {
      csrf: csrfOf(stale.html),
      password: 'not my password',
    });
    assert.equal(wrong.status, 401);
    const ok = await b.submit(formAction(stale.html, '/reauth'), {
      csrf: csrfOf(stale.html),
      password: PASSWORD,
    });
    assert.equal(ok.status, 200);
    assert.match(ok.html, /This browser/);
  });

  it('confirms with password + TOTP code when TOTP is on, or with a user-verified passkey', async () => {
    const { id, secret } = await createUserWithTotp(h, 'ulla');
    ip += 1;
    const b = new TestBrowser(h, `10.6.0.${String(ip)}`);
    await signIn(b, await authorization(config), {
      username: 'ulla',
      password: PASSWORD,
      totpSecret: secret,
    });
    await setLoginTs(id, 20 * 60);
    const stale = await b.visit(ACCOUNT);
    assert.match(stale.html, /<input\s+id="code"/);
    const noCode = await b.submit(formAction(stale.html, '/reauth'), {
      csrf: csrfOf(stale.html),
      password: PASSWORD,
      code: '000000',
    });
    assert.equal(noCode.status, 401, 'the password alone is not enough');
    const ok = await b.submit(formAction(stale.html, '/reauth'), {
      csrf: csrfOf(stale.html),
      password: PASSWORD,
      code: totpCode(secret, 1),
    });
    assert.match(ok.html, /This browser/);

    // A passkey confirms as well, if it verifies the user (PIN or biometrics).
    const origin = new URL(h.issuer).origin;
    const key = new SoftwareAuthenticator({ origin });
    const presenceOnly = new SoftwareAuthenticator({ origin, userVerified: false });
    for (const authenticator of [key, presenceOnly]) {
      const registration = await h.identity.passkeys.registrationOptions({ id, username: 'ulla' });
      const added = await h.identity.passkeys.verifyRegistration(
        id,
        registration.challengeId,
        authenticator.register(registration.options),
      );
      assert.ok(added.ok);
    }
    await setLoginTs(id, 20 * 60);
    const again = await b.visit(ACCOUNT);
    const csrf = /data-csrf="([^"]+)"/.exec(again.html)?.[1] ?? '';
    const ask = async (): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> =>
      (await (await b.postJson(`${ACCOUNT}/reauth/passkey/options`, {}, csrf)).json()) as {
        challengeId: string;
        options: PublicKeyCredentialRequestOptionsJSON;
      };
    const first = await ask();
    const unverified = await b.postJson(
      `${ACCOUNT}/reauth/passkey/verify`,
      { challengeId: first.challengeId, response: presenceOnly.authenticate(first.options) },
      csrf,
    );
    assert.equal(unverified.status, 401);
    const second = await ask();
    const verified = await b.postJson(
      `${ACCOUNT}/reauth/passkey/verify`,
      { challengeId: second.challengeId, response: key.authenticate(second.options) },
      csrf,
    );
    assert.equal(verified.status, 200);
    assert.match((await b.visit(ACCOUNT)).html, /This browser/);
    const [session] = await listSessions(h.identity, id);
    assert.deepEqual(session?.amr, ['hwk', 'user', 'mfa'], 'the session records the confirmation');
  });

  it('ends another session, and signs out everywhere (sessions and refresh tokens)', async () => {
    const user = await h.identity.accounts.createUser({ username: 'uma', password: PASSWORD });
    const laptop = await signedIn('uma');
    const phone = await signedIn('uma');
    const sessions = await listSessions(h.identity, user.id);
    assert.equal(sessions.length, 2);

    const page = await laptop.b.visit(ACCOUNT);
    const other = formAction(page.html, '/sessions/end');
    const ended = await laptop.b.submit(other, {
      csrf: csrfOf(page.html),
      session: inputValue(page.html, 'session'),
    });
    assert.match(ended.html, /That session was signed out\./);
    assert.equal((await phone.b.visit(ACCOUNT)).status, 401, 'the phone is signed out');
    await assert.rejects(oidc.refreshTokenGrant(config, phone.refreshToken), { error: 'invalid_grant' });
    await oidc.refreshTokenGrant(config, laptop.refreshToken).then((tokens) => {
      laptop.refreshToken = tokens.refresh_token ?? '';
    });

    const again = await laptop.b.visit(ACCOUNT);
    const out = await laptop.b.submit(formAction(again.html, '/sessions/end-all'), {
      csrf: csrfOf(again.html),
    });
    assert.match(out.html, /signed out everywhere/);
    assert.equal((await laptop.b.visit(ACCOUNT)).status, 401);
    await assert.rejects(oidc.refreshTokenGrant(config, laptop.refreshToken), { error: 'invalid_grant' });
    assert.deepEqual(await listSessions(h.identity, user.id), []);
    assert.ok(h.events.some((e) => e.event === 'session.revoked' && e.reason === 'sign_out_everywhere'));
  });

  it('changes the password only with the current one, through the policy, and then signs out everywhere', async () => {
    const user = await h.identity.accounts.createUser({ username: 'pat', password: PASSWORD });
    const { b, refreshToken } = await signedIn('pat');
    const page = await b.visit(ACCOUNT);
    const post = (fields: Record<string, string>) =>
      b.submit(formAction(page.html, '/account/password'), { csrf: csrfOf(page.html), ...fields });
    const fresh = 'a new and long passphrase 77';

    const wrong = await post({
      current_password: 'not my password',
      new_password: fresh,
      confirm_password: fresh,
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /current password is incorrect/);
    const mismatch = await post({
      current_password: PASSWORD,
      new_password: fresh,
      confirm_password: `${fresh}x`,
    });
    assert.equal(mismatch.status, 400);
    const weak = await post({
      current_password: PASSWORD,
      new_password: 'qwerty123456',
      confirm_password: 'qwerty123456',
    });
    assert.equal(weak.status, 400);
    assert.equal(
      (await h.identity.accounts.verifyCredentials('pat', PASSWORD)).ok,
      true,
      'nothing changed yet',
    );

    const changed = await post({ current_password: PASSWORD, new_password: fresh, confirm_password: fresh });
    assert.equal(changed.status, 200);
    assert.match(changed.html, /signed out everywhere/);
    assert.equal((await h.identity.accounts.verifyCredentials('pat', PASSWORD)).ok, false);
    assert.equal((await h.identity.accounts.verifyCredentials('pat', fresh)).ok, true);
    await assert.rejects(
      oidc.refreshTokenGrant(config, refreshToken),
      (e: { error?: string }) => e.error === 'invalid_grant',
    );
    const { entries } = await h.identity.revocations.since(0);
    assert.ok(entries.some((entry) => entry.kind === 'subject' && entry.value === user.id));
    assert.ok(h.events.some((e) => e.event === 'password.changed' && e.reason === 'self_service'));
  });

  it('exports the session API for the admin API', async () => {
    const user = await h.identity.accounts.createUser({ username: 'vic', password: PASSWORD });
    await signedIn('vic');
    const [summary] = await listSessions(h.identity, user.id);
    assert.deepEqual(summary?.amr, ['pwd']);
    assert.deepEqual(summary.clients, ['shop-web']);
    assert.ok(!JSON.stringify(summary).includes('"id"'), 'the cookie value (row id) never leaves the module');
    const ended = await endAllSessions(h.identity, user.id);
    assert.equal(ended.sessions, 1);
    assert.equal(ended.grants, 1);
    const { entries } = await h.identity.revocations.since(0);
    assert.ok(
      entries.some((entry) => entry.kind === 'subject' && entry.value === user.id),
      "the gateways learn to refuse the account's access tokens",
    );
  });
});

function inputValue(html: string, name: string): string {
  const match = new RegExp(`name="${name}"\\s+value="([^"]*)"`).exec(html);
  assert.ok(match, `no input ${name}`);
  return match[1] ?? '';
}

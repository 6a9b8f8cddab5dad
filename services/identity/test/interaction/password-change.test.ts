import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';
import {
  authorization,
  CALLBACK,
  createUserWithTotp,
  csrfOf,
  formAction,
  INTERACTION_IDENTITY,
  PASSWORD,
  publicClient,
  signIn,
} from './support.ts';
import { TestBrowser, totpCode } from '@rampart/testing';

const NEW_PASSWORD = 'a brand new passphrase 2024';

describe('must-change-password step', () => {
  let h: Harness;
  let config: oidc.Configuration;

  before(async () => {
    h = await startIdentity({ identityYaml: INTERACTION_IDENTITY });
    config = await publicClient(h);
    await h.identity.accounts.createGroup('admins');
  });
  after(async () => {
    await h.close();
  });

  it('asks for a new password before anything else, shows policy errors, then continues', async () => {
    const user = await h.identity.accounts.createUser({
      username: 'olga',
      password: PASSWORD,
      mustChangePassword: true,
    });
    const b = new TestBrowser(h, '10.7.0.1');
    const login = await b.visit((await authorization(config)).url);
    const step = await b.submit(formAction(login.html, '/login'), {
      csrf: csrfOf(login.html),
      username: 'olga',
      password: PASSWORD,
    });
    assert.equal(step.status, 200);
    assert.match(step.html, /Choose a new password/);
    assert.match(step.html, /<input\s+id="new-password"[^>]*autocomplete="new-password"/);
    const action = formAction(step.html, '/password');
    const csrf = csrfOf(step.html);

    const mismatch = await b.submit(action, {
      csrf,
      new_password: NEW_PASSWORD,
      confirm_password: `${NEW_PASSWORD}!`,
    });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.html, /The two passwords are not the same\./);

    const short = await b.submit(action, { csrf, new_password: 'short', confirm_password: 'short' });
    assert.equal(short.status, 400);
    assert.match(short.html, /Use at least 12 characters\./);
    assert.match(short.html, /aria-invalid="true"/);

    const withName = await b.submit(action, {
      csrf,
      new_password: 'olga olga olga olga',
      confirm_password: 'olga olga olga olga',
    });
    assert.equal(withName.status, 400);
    assert.match(withName.html, /must not contain your username/);

    const done = await b.submit(action, { csrf, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    assert.ok(done.url.startsWith(CALLBACK), `signed in after the change: ${done.url}`);
    assert.equal((await h.identity.accounts.findById(user.id))?.mustChangePassword, false);
    assert.ok(h.events.some((e) => e.event === 'password.changed' && e.reason === 'must_change'));

    const old = await h.identity.accounts.verifyCredentials('olga', PASSWORD);
    assert.equal(old.ok, false, 'the old password no longer works');
    const again = await signIn(new TestBrowser(h, '10.7.0.2'), await authorization(config), {
      username: 'olga',
      password: NEW_PASSWORD,
    });
    assert.ok(again.url.startsWith(CALLBACK), 'no second change is asked');
  });

  it('puts the password change before MFA enrolment', async () => {
    await h.identity.accounts.createUser({
      username: 'pete',
      password: PASSWORD,
      mustChangePassword: true,
      groups: ['admins'],
    });
    const b = new TestBrowser(h, '10.7.0.3');
    const login = await b.visit((await authorization(config)).url);
    const step = await b.submit(formAction(login.html, '/login'), {
      csrf: csrfOf(login.html),
      username: 'pete',
      password: PASSWORD,
    });
    assert.match(step.html, /Choose a new password/);
    const next = await b.submit(formAction(step.html, '/password'), {
      csrf: csrfOf(step.html),
      new_password: NEW_PASSWORD,
      confirm_password: NEW_PASSWORD,
    });
    assert.match(next.html, /Set up two-step verification/);
  });
  it('asks a user who has a second factor for it before the password change (an admin reset alone is not enough)', async () => {
    const { id, secret } = await createUserWithTotp(h, 'ozzy');
    await h.identity.accounts.setPassword(id, PASSWORD, { mustChange: true });
    const b = new TestBrowser(h, '10.7.0.9');
    const login = await b.visit((await authorization(config)).url);
    const step = await b.submit(formAction(login.html, '/login'), {
      csrf: csrfOf(login.html),
      username: 'ozzy',
      password: PASSWORD,
    });
    assert.doesNotMatch(step.html, /Choose a new password/, 'no password change before the second factor');
    assert.match(step.html, /name="code"/);
    const afterCode = await b.submit(formAction(step.html, '/mfa'), {
      csrf: csrfOf(step.html),
      method: 'totp',
      code: totpCode(secret),
    });
    assert.match(afterCode.html, /Choose a new password/);
  });
});

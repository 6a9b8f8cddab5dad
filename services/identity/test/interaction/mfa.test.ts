import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';
import {
  authorization,
  CALLBACK,
  createUserWithTotp,
  csrfOf,
  exchange,
  formAction,
  INTERACTION_IDENTITY,
  jwtClaims,
  PASSWORD,
  publicClient,
  recoveryCodes,
  shownSecret,
  type Authorization,
} from './support.ts';
import { totpCode, TestBrowser, type Page } from '@rampart/testing';

const MFA_AMR = ['pwd', 'otp', 'mfa'];
const MFA_ACR = 'urn:rampart:acr:mfa';

describe('second factors at sign-in: when they are required, enrolment, TOTP and recovery codes', () => {
  let h: Harness;
  let shop: oidc.Configuration;
  let vault: oidc.Configuration;
  let ipCounter = 0;

  before(async () => {
    h = await startIdentity({ identityYaml: INTERACTION_IDENTITY });
    shop = await publicClient(h, 'shop-web');
    vault = await publicClient(h, 'vault-web');
    await h.identity.accounts.createGroup('admins');
  });
  after(async () => {
    await h.close();
  });

  function browser(): TestBrowser {
    ipCounter += 1;
    return new TestBrowser(h, `10.9.0.${String(ipCounter)}`);
  }

  /** Opens the authorization URL and posts the password; returns the page that follows. */
  async function afterPassword(b: TestBrowser, auth: Authorization, username: string): Promise<Page> {
    const login = await b.visit(auth.url);
    return b.submit(formAction(login.html, '/login'), {
      csrf: csrfOf(login.html),
      username,
      password: PASSWORD,
    });
  }

  async function tokensOf(
    config: oidc.Configuration,
    page: Page,
    auth: Authorization,
  ): Promise<Record<string, unknown>> {
    assert.ok(page.url.startsWith(CALLBACK), `expected the callback, got ${String(page.status)} ${page.url}`);
    return jwtClaims((await exchange(config, page.url, auth)).access_token);
  }

  it('makes a member of a required group set up TOTP, shows recovery codes once, then signs in with MFA', async () => {
    await h.identity.accounts.createUser({ username: 'gina', password: PASSWORD, groups: ['admins'] });
    const b = browser();
    const auth = await authorization(shop);
    const enroll = await afterPassword(b, auth, 'gina');
    assert.equal(enroll.status, 200);
    assert.match(enroll.html, /Set up two-step verification/);
    const secret = shownSecret(enroll.html);
    assert.match(
      enroll.html,
      new RegExp(`otpauth://totp/Rampart:gina\\?issuer=Rampart&amp;secret=${secret}`),
    );
    assert.match(enroll.html, /autocomplete="one-time-code"/);

    const wrong = await b.submit(formAction(enroll.html, '/totp'), {
      csrf: csrfOf(enroll.html),
      secret,
      uri: `otpauth://totp/x?secret=${secret}`,
      code: '000000',
    });
    assert.equal(wrong.status, 401);
    assert.equal(shownSecret(wrong.html), secret, 'the same secret is shown again');
    assert.match(wrong.html, /aria-invalid="true"/);

    const codes = await b.submit(formAction(enroll.html, '/totp'), {
      csrf: csrfOf(enroll.html),
      code: totpCode(secret),
    });
    assert.equal(codes.status, 200);
    assert.equal(recoveryCodes(codes.html).length, 10);
    const done = await b.submit(formAction(codes.html, '/continue'), { csrf: csrfOf(codes.html) });
    const claims = await tokensOf(shop, done, auth);
    assert.deepEqual(claims['amr'], MFA_AMR);
    assert.equal(claims['acr'], MFA_ACR);
    for (const event of ['mfa.enrolled', 'mfa.succeeded', 'mfa.failed']) {
      assert.ok(
        h.events.some((e) => e.event === event),
        `${event} is recorded`,
      );
    }
  });

  it('asks for MFA for a client with rampart_require_mfa, not for others (until a factor exists)', async () => {
    await h.identity.accounts.createUser({ username: 'hank', password: PASSWORD });
    const plainAuth = await authorization(shop);
    const plain = await afterPassword(browser(), plainAuth, 'hank');
    assert.deepEqual((await tokensOf(shop, plain, plainAuth))['amr'], ['pwd']);

    const vaultAuth = await authorization(vault, 'openid');
    const b = browser();
    const enroll = await afterPassword(b, vaultAuth, 'hank');
    assert.match(enroll.html, /Set up two-step verification/);
    const secret = shownSecret(enroll.html);
    const codes = await b.submit(formAction(enroll.html, '/totp'), {
      csrf: csrfOf(enroll.html),
      code: totpCode(secret, -1),
    });
    const done = await b.submit(formAction(codes.html, '/continue'), { csrf: csrfOf(codes.html) });
    assert.equal((await tokensOf(vault, done, vaultAuth))['acr'], MFA_ACR);

    // Now that hank has a factor, every client asks for it.
    const again = await afterPassword(browser(), await authorization(shop), 'hank');
    assert.match(again.html, /Two-step verification/);
  });

  it('steps an existing password-only session up to MFA for a client that requires it', async () => {
    await h.identity.accounts.createUser({ username: 'hugo', password: PASSWORD });
    const b = browser();
    const first = await afterPassword(b, await authorization(shop), 'hugo');
    assert.ok(first.url.startsWith(CALLBACK), 'password only for shop-web');
    // Same browser, same identity session: oidc-provider does not prompt for login again.
    const vaultAuth = await authorization(vault, 'openid');
    const page = await b.visit(vaultAuth.url);
    assert.ok(!page.url.startsWith(CALLBACK), 'vault-web must not get a password-only sign-in');
  });

  it('asks for MFA when the client requests the MFA class in acr_values', async () => {
    await h.identity.accounts.createUser({ username: 'ivy', password: PASSWORD });
    const page = await afterPassword(
      browser(),
      await authorization(shop, 'openid', { acr_values: MFA_ACR }),
      'ivy',
    );
    assert.match(page.html, /Set up two-step verification/);
  });

  it('challenges a user with TOTP, refuses a wrong code, and refuses a replayed one', async () => {
    const { secret } = await createUserWithTotp(h, 'jack');
    const b = browser();
    const auth = await authorization(shop);
    const challenge = await afterPassword(b, auth, 'jack');
    assert.equal(challenge.status, 200);
    assert.match(
      challenge.html,
      /<input\s+id="code"[^>]*inputmode="numeric"[^>]*autocomplete="one-time-code"/,
    );
    assert.ok(h.events.some((e) => e.event === 'mfa.challenged' && e.reason === 'totp'));

    const wrong = await b.submit(formAction(challenge.html, '/mfa'), {
      csrf: csrfOf(challenge.html),
      method: 'totp',
      code: '123456',
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /That code is not right/);

    const code = totpCode(secret);
    const done = await b.submit(formAction(challenge.html, '/mfa'), {
      csrf: csrfOf(challenge.html),
      method: 'totp',
      code,
    });
    const claims = await tokensOf(shop, done, auth);
    assert.deepEqual(claims['amr'], MFA_AMR);
    assert.equal(claims['acr'], MFA_ACR);

    // The same code again, in another browser: refused (each code is accepted once).
    const b2 = browser();
    const second = await afterPassword(b2, await authorization(shop), 'jack');
    const replay = await b2.submit(formAction(second.html, '/mfa'), {
      csrf: csrfOf(second.html),
      method: 'totp',
      code,
    });
    assert.equal(replay.status, 401);
    // The next code works.
    const auth3 = await authorization(shop);
    const b3 = browser();
    const third = await afterPassword(b3, auth3, 'jack');
    const next = await b3.submit(formAction(third.html, '/mfa'), {
      csrf: csrfOf(third.html),
      method: 'totp',
      code: totpCode(secret, 1),
    });
    assert.ok(next.url.startsWith(CALLBACK));
  });

  it('accepts a recovery code once (amr pwd otp mfa), then never again', async () => {
    const { recoveryCodes: codes } = await createUserWithTotp(h, 'kate');
    const code = codes[0] ?? '';
    const auth = await authorization(shop);
    const b = browser();
    const challenge = await afterPassword(b, auth, 'kate');
    const done = await b.submit(formAction(challenge.html, '/mfa'), {
      csrf: csrfOf(challenge.html),
      method: 'recovery',
      code: code.toLowerCase().replace(/(.{5})/, '$1-'),
    });
    const claims = await tokensOf(shop, done, auth);
    assert.deepEqual(claims['amr'], MFA_AMR);
    assert.ok(h.events.some((e) => e.event === 'mfa.succeeded' && e.reason === 'recovery_code'));

    const b2 = browser();
    const second = await afterPassword(b2, await authorization(shop), 'kate');
    const reused = await b2.submit(formAction(second.html, '/mfa'), {
      csrf: csrfOf(second.html),
      method: 'recovery',
      code,
    });
    assert.equal(reused.status, 401);
    assert.match(reused.html, /already used/);
    assert.equal(
      await h.identity.totp.remainingRecoveryCodes(
        (await h.identity.accounts.findByUsername('kate'))?.id ?? '',
      ),
      9,
    );
  });

  it('counts wrong codes against the brute-force guard: 15 parallel, only the allowed number checked', async () => {
    await createUserWithTotp(h, 'liam');
    const b = browser();
    const challenge = await afterPassword(b, await authorization(shop), 'liam');
    const action = formAction(challenge.html, '/mfa');
    const csrf = csrfOf(challenge.html);
    const statuses = await Promise.all(
      Array.from(
        { length: 15 },
        async () => (await b.post(action, { csrf, method: 'totp', code: '000000' })).status,
      ),
    );
    const allowed = h.identity.bruteForce.policy.pair.lockAfter;
    assert.equal(statuses.filter((s) => s === 401).length, allowed);
    assert.equal(statuses.filter((s) => s === 429).length, 15 - allowed);
    assert.ok(h.events.some((e) => e.event === 'mfa.locked_out'));
  });

  it('does not skip the second factor by posting to a later step', async () => {
    await createUserWithTotp(h, 'mia');
    const b = browser();
    const challenge = await afterPassword(b, await authorization(shop), 'mia');
    const skip = await b.post(formAction(challenge.html, '/mfa').replace(/\/mfa$/, '/continue'), {
      csrf: csrfOf(challenge.html),
    });
    assert.equal(skip.status, 303);
    assert.match(
      skip.headers.get('location') ?? '',
      /\/auth\/interaction\/[^/]+$/,
      'back to the current step',
    );
  });
});

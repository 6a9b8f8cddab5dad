import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, it } from 'node:test';
import { chromiumAvailability, describeIfAvailable, launchChromium, totpCode } from '@rampart/testing';
import type * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startIdentity, type Harness } from '../support/harness.ts';
import {
  authorization,
  CALLBACK,
  createUserWithTotp,
  exchange,
  INTERACTION_IDENTITY,
  jwtClaims,
  PASSWORD,
  publicClient,
  type Authorization,
} from '../interaction/support.ts';

/*
 * A person in Debian's Chromium, driven by playwright-core, against identity over real HTTPS. The
 * issuer is https://localhost:<port>/auth: WebAuthn accepts `localhost` as a relying-party id but
 * no IP address (on https://127.0.0.1 Chromium answers "SecurityError: This is an invalid
 * domain"). The harness certificate is trusted by its SPKI pin, so Chromium sees a valid
 * certificate, as users of a real deployment would.
 */
describeIfAvailable('sign-in in Chromium', chromiumAvailability(), () => {
  let h: Harness;
  let config: oidc.Configuration;
  let browser: Browser;

  before(async () => {
    h = await startIdentity({ identityYaml: INTERACTION_IDENTITY, host: 'localhost' });
    config = await publicClient(h);
    const spki = new X509Certificate(h.ca).publicKey.export({ type: 'spki', format: 'der' });
    browser = await launchChromium([
      '--disable-quic',
      '--disable-component-update',
      `--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`,
    ]);
  });
  after(async () => {
    await browser.close();
    await h.close();
  });

  /** A context whose requests to the client's callback are answered here, recording the URL. */
  async function newContext(): Promise<{ context: BrowserContext; page: Page; callback: Promise<string> }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const { reached } = await routeCallback(page);
    return { context, page, callback: reached };
  }

  async function tokensFrom(callbackUrl: string, auth: Authorization): Promise<Record<string, unknown>> {
    const url = new URL(callbackUrl);
    assert.equal(url.searchParams.get('iss'), h.issuer);
    assert.ok(url.searchParams.get('code'));
    return jwtClaims((await exchange(config, callbackUrl, auth)).access_token);
  }

  async function passwordAndTotp(
    page: Page,
    username: string,
    secret: string,
    offset: number,
  ): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Code from your authenticator app').fill(totpCode(secret, offset));
    await page.getByRole('button', { name: 'Verify' }).click();
  }

  it('signs a person in with password + TOTP', async () => {
    const { secret } = await createUserWithTotp(h, 'wendy');
    const { context, page, callback } = await newContext();
    const auth = await authorization(config);
    await page.goto(auth.url);
    assert.equal(await page.title(), 'Sign in · Rampart');
    assert.equal(await page.locator(':focus').getAttribute('id'), 'username', 'the username field has focus');
    await passwordAndTotp(page, 'wendy', secret, 0);
    const claims = await tokensFrom(await callback, auth);
    assert.deepEqual(claims['amr'], ['pwd', 'otp', 'mfa']);
    assert.equal(claims['acr'], 'urn:rampart:acr:mfa');
    await context.close();
  });

  it('registers a passkey on the account page, then signs in with the passkey alone', async () => {
    const { secret } = await createUserWithTotp(h, 'xena');
    const { context, page, callback } = await newContext();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    // Password + TOTP first, which also opens a session at identity.
    const first = await authorization(config);
    await page.goto(first.url);
    await passwordAndTotp(page, 'xena', secret, 0);
    await callback;
    await page.waitForURL((url) => url.href.startsWith(CALLBACK));

    // The account page: add a passkey (the script calls navigator.credentials.create).
    await page.goto(`${h.issuer}/account`);
    await page.getByLabel('Name for a new passkey').fill('Virtual key');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(/\/auth\/account\?done=passkey_added$/);
    assert.match(await page.content(), /Virtual key/);
    const user = await h.identity.accounts.findByUsername('xena');
    assert.equal((await h.identity.passkeys.list(user?.id ?? '')).length, 1);

    // Sign out everywhere, then sign in with "Sign in with a passkey" and nothing else.
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByText('You are signed out everywhere').waitFor();

    const { reached: second } = await routeCallback(page);
    const auth = await authorization(config);
    await page.goto(auth.url);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const claims = await tokensFrom(await second, auth);
    assert.ok((claims['amr'] as string[]).includes('hwk'), `amr ${JSON.stringify(claims['amr'])}`);
    assert.deepEqual(claims['amr'], ['hwk', 'user', 'mfa']);
    assert.equal(claims['acr'], 'urn:rampart:acr:mfa');
    assert.equal(claims['sub'], user?.id);
    await context.close();
  });
});

/**
 * Answers the client's callback URL in `page` (nothing listens on 127.0.0.1:5173) and resolves
 * `reached` with the first URL the browser is sent to there.
 */
async function routeCallback(page: Page): Promise<{ reached: Promise<string> }> {
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  let resolve: (url: string) => void = () => undefined;
  const reached = new Promise<string>((done) => {
    resolve = done;
  });
  await page.route(`${new URL(CALLBACK).origin}/**`, async (route) => {
    resolve(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'signed in' });
  });
  return { reached };
}

// `rampart admin login` end to end (issue 10, item 11): the only client that may obtain admin API
// tokens is the CLI's own native client (RFC 8252, a loopback redirect the CLI itself serves), not
// a console client redirecting to a page nothing serves. The first admin signs in in Debian's
// Chromium through the gateway — one-time password, new password, TOTP enrolment — and the token
// the CLI writes opens the admin API through the gateway.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { Agent, request } from 'undici';
import {
  chromiumAvailability,
  describeIfAvailable,
  launchChromium,
  totpCode,
  startShop,
  type RunningShop,
} from '@rampart/testing';

const CLI = join(import.meta.dirname, '../../apps/cli/src/main.ts');
const NEW_PASSWORD = 'correct horse battery staple 2026';

interface Login {
  readonly child: ChildProcessWithoutNullStreams;
  /** The address the CLI asks the person to open. */
  readonly signInUrl: Promise<URL>;
  readonly exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function adminLogin(shop: RunningShop, ...args: string[]): Login {
  const child = spawn(process.execPath, [CLI, 'admin', 'login', join(shop.dir, 'rampart.yaml'), ...args], {
    cwd: shop.dir,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const signInUrl = new Promise<URL>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /^ {2}(https:\/\/\S+)$/mu.exec(stderr)?.[1];
      if (found !== undefined) resolve(new URL(found));
    });
    child.once('exit', () => {
      reject(new Error(`admin login exited before printing an address:\n${stderr}`));
    });
  });
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
  return { child, signInUrl, exit };
}

describeIfAvailable('rampart admin login', chromiumAvailability(), () => {
  let shop: RunningShop;
  let browser: Browser;
  let agent: Agent;

  before(async () => {
    shop = await startShop();
    agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await agent.close();
    await shop.stop();
  });

  const adminApi = async (token: string, path: string): Promise<number> => {
    const res = await request(`https://127.0.0.1:${shop.ports.gateway}/auth/admin${path}`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}` },
    });
    await res.body.dump();
    return res.statusCode;
  };

  /**
   * A sign-in through identity's pages until the browser reaches `callback`: password, then each
   * step identity asks for, recognised by what it asks — a new password, TOTP enrolment (the first
   * admin), a TOTP code (a person with a factor), the recovery codes' Continue.
   */
  async function signIn(
    page: Page,
    url: URL,
    callback: string,
    person: { username: string; password: string; totpSecret?: string },
  ): Promise<void> {
    await page.goto(url.href);
    await page.getByLabel('Username').fill(person.username);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    for (let step = 0; step < 6 && !page.url().startsWith(callback); step++) {
      await page.waitForLoadState();
      if ((await page.getByLabel('New password', { exact: true }).count()) > 0) {
        await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
        await page.getByLabel('New password again').fill(NEW_PASSWORD);
        await page.getByRole('button', { name: 'Change password' }).click();
      } else if ((await page.getByLabel('Code shown by the app').count()) > 0) {
        const secret = await page.locator('input[name="secret"]').inputValue();
        await page.getByLabel('Code shown by the app').fill(totpCode(secret));
        await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
      } else if ((await page.getByLabel('Code from your authenticator app').count()) > 0) {
        await page.getByLabel('Code from your authenticator app').fill(totpCode(person.totpSecret ?? ''));
        await page.getByRole('button', { name: 'Verify' }).click();
      } else if ((await page.getByRole('button', { name: 'Continue' }).count()) > 0) {
        await page.getByRole('button', { name: 'Continue' }).click();
      } else {
        assert.fail(`an unexpected sign-in step at ${page.url()}:\n${(await page.content()).slice(0, 2000)}`);
      }
      await sleep(100);
    }
    assert.ok(
      page.url().startsWith(callback),
      `the browser did not come back to the CLI: ${page.url()}\n${(await page.content()).slice(0, 2000)}`,
    );
  }

  it('signs the first admin in through the browser and writes a token, 0600, that opens the admin API', async () => {
    const login = adminLogin(shop, '--timeout', '90');
    const url = await login.signInUrl;
    assert.equal(url.origin, `https://127.0.0.1:${shop.ports.gateway}`);
    assert.equal(url.searchParams.get('client_id'), 'rampart-cli');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    const redirect = new URL(url.searchParams.get('redirect_uri') ?? '');
    assert.equal(redirect.hostname, '127.0.0.1');

    // Someone else's code reaching the CLI's listener first is refused, and the wait goes on.
    const forged = await fetch(`${redirect.origin}/callback?code=stolen&state=guessed`);
    assert.equal(forged.status, 400);

    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const oneTime = readFileSync(join(shop.home, 'admin-password'), 'utf8').trim();
    await signIn(page, url, redirect.origin, { username: 'admin', password: oneTime });
    const result = await login.exit;
    assert.equal(result.code, 0, result.stderr);
    await page.waitForLoadState();
    assert.match(await page.content(), /Signed in/u);
    await context.close();

    const file = join(shop.home, 'admin-token');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the token is readable by its owner alone');
    const token = readFileSync(file, 'utf8').trim();
    assert.match(result.stderr, /Signed in as admin\. Admin token in .*admin-token/u);
    assert.ok(!result.stderr.includes(token) && !result.stdout.includes(token), 'the token is not printed');
    assert.equal(await adminApi(token, '/users'), 200);
    assert.equal(await adminApi(`${token}x`, '/users'), 401);
  });

  it('writes no token for a person who signs in but is not an admin, and says why', async () => {
    const demo = JSON.parse(readFileSync(join(shop.home, 'demo-users.json'), 'utf8')) as {
      users: { username: string; password: string; totpSecret: string }[];
    };
    const alice = demo.users.find((user) => user.username === 'alice');
    assert.ok(alice !== undefined);
    const out = join(shop.dir, 'alice-token');
    const login = adminLogin(shop, '--timeout', '90', '--out', out);
    const url = await login.signInUrl;
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    await signIn(
      await context.newPage(),
      url,
      new URL(url.searchParams.get('redirect_uri') ?? '').origin,
      alice,
    );
    const result = await login.exit;
    await context.close();
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /signed in as alice, but the admin API refuses the token: This account may not use the admin API/u,
    );
    assert.equal(existsSync(out), false, 'no token written');
  });

  it('gives up with a clear message when nobody signs in in time', async () => {
    const login = adminLogin(shop, '--timeout', '1', '--print');
    const result = await login.exit;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no sign-in within 1 s; run the command again/u);
    assert.equal(result.stdout, '');
  });

  it('refuses a file that is not a valid rampart.yaml, before listening', async () => {
    const child = spawn(process.execPath, [CLI, 'admin', 'login', join(shop.dir, 'missing.yaml')]);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /missing\.yaml/u);
  });
});

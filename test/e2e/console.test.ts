// The web console end to end (issue 13, section 3) in Debian's Chromium: the first admin signs in
// through identity (one-time password, new password, TOTP) with the console's own client, every page
// renders and passes axe-core with no serious or critical violation, the browser reports no CSP
// violation, and disabling `bob` on the Users page ends his access: his token is refused by the
// gateway and his next sign-in fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Agent, request } from 'undici';
import { adminAccess, authorization, CALLBACK, exchange, signIn } from '@rampart/identity/testing';
import {
  chromiumAvailability,
  describeIfAvailable,
  fetchWith,
  launchChromium,
  signInThroughIdentity,
  startShop,
  TestBrowser,
  type RunningShop,
} from '@rampart/testing';

interface DemoUser {
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string;
}

interface AxeResult {
  readonly violations: readonly {
    id: string;
    impact: string | null;
    help: string;
    nodes: { target: unknown }[];
  }[];
}

/** The console's pages, by their navigation label and heading. */
const PAGES = [
  ['Overview', 'Overview'],
  ['Live feed', 'Live feed'],
  ['Alerts', 'Alerts'],
  ['Audit search', 'Audit search'],
  ['Users', 'Users'],
  ['Clients', 'Clients'],
  ['Sessions', 'Sessions'],
  ['Services', 'Services and call graph'],
  ['Routes', 'Routes'],
] as const;

const AXE_SOURCE = readFileSync(
  createRequire(join(import.meta.dirname, '../../apps/console/package.json')).resolve('axe-core/axe.min.js'),
  'utf8',
);

describeIfAvailable('the web console', chromiumAvailability(), () => {
  let shop: RunningShop;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let agent: Agent;
  let gateway: string;
  const cspViolations: string[] = [];
  const consoleErrors: string[] = [];

  before(async () => {
    shop = await startShop();
    gateway = `https://127.0.0.1:${shop.ports.gateway}`;
    agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    browser = await launchChromium();
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 } });
    // Recorded by the browser itself (an init script is not subject to the page's CSP).
    await context.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
    page = await context.newPage();
    page.on('console', (message) => {
      const text = message.text();
      if (/Content Security Policy|CSP violation/iu.test(text)) cspViolations.push(text);
      if (message.type() === 'error') consoleErrors.push(text);
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
  });
  after(async () => {
    await context.close();
    await browser.close();
    await agent.close();
    await shop.stop();
  });

  function demoUser(name: string): DemoUser {
    const { users } = JSON.parse(readFileSync(join(shop.home, 'demo-users.json'), 'utf8')) as {
      users: DemoUser[];
    };
    const user = users.find((candidate) => candidate.username === name);
    assert.ok(user !== undefined, name);
    return user;
  }

  async function axe(): Promise<AxeResult> {
    await page.evaluate(AXE_SOURCE);
    // Strings run in the page (this file is typed for Node, not the DOM).
    return page.evaluate<AxeResult>(
      `axe.run(document).then((r) => ({ violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })) }))`,
    );
  }

  it('signs the first admin in through identity with the rampart-console client: password, new password, TOTP', async () => {
    await page.goto(`${gateway}/console/`);
    await page.waitForURL(/\/auth\/interaction\//u);
    const authorize = new URL(page.url());
    assert.equal(authorize.origin, gateway);
    const oneTime = readFileSync(join(shop.home, 'admin-password'), 'utf8').trim();
    await signInThroughIdentity(page, { username: 'admin', password: oneTime }, (url) =>
      url.startsWith(`${gateway}/console/#/`),
    );
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.match(await page.locator('header').innerText(), /Signed in as admin/u);
    assert.doesNotMatch(page.url(), /code=|state=/u, 'the code and state left the address bar');
    const stored = String(await page.evaluate('JSON.stringify({ ...sessionStorage, ...localStorage })'));
    assert.doesNotMatch(stored, /eyJ/u, 'no token in web storage');
  });

  it('renders every page with no serious or critical axe-core violation, at 1440 px and at 768 px', async () => {
    for (const width of [1440, 768]) {
      await page.setViewportSize({ width, height: 1000 });
      for (const [label, heading] of PAGES) {
        await page
          .getByRole('navigation', { name: 'Console' })
          .getByRole('link', { name: label, exact: true })
          .click();
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        // Let the page's API calls settle into their loaded, empty or error state.
        // A locator, not waitForFunction: a string predicate is eval, which the console's CSP forbids.
        await page
          .locator('main [role="status"].state')
          .first()
          .waitFor({ state: 'detached', timeout: 10_000 });
        assert.equal(await page.locator('main').count(), 1, `${label}: one main landmark`);
        const result = await axe();
        const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        assert.deepEqual(bad, [], `${label} at ${width}px: ${JSON.stringify(bad, null, 2)}`);
        const overflow = Number(
          await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
        );
        assert.ok(overflow <= 0, `${label} at ${width}px scrolls sideways by ${overflow}px`);
      }
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('says plainly when the audit service cannot answer, instead of an empty page', async () => {
    await page.goto(`${gateway}/console/#/alerts`);
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
    const main = page.locator('main');
    await main
      .getByText(/The audit service is not reachable\.|No alerts|rule/u)
      .first()
      .waitFor();
  });

  it('shows a denial at the gateway in the live feed within 2 s, and the audit chain as verified', async () => {
    await page.goto(`${gateway}/console/#/live`);
    await page.getByText('Live: new events appear at the top.').waitFor();
    const denials = page.locator('main td', { hasText: /^request\.denied$/u });
    const before = await denials.count();
    const response = await request(`${gateway}/orders`, { dispatcher: agent });
    await response.body.dump();
    assert.equal(response.statusCode, 401);
    const refusedAt = Date.now();
    await denials.nth(before).waitFor({ timeout: 2000 });
    assert.ok(Date.now() - refusedAt < 2000, 'the denial reached the feed within 2 s');

    await page.goto(`${gateway}/console/#/audit`);
    await page.getByRole('heading', { level: 2, name: 'Chain verification' }).waitFor();
    await page.locator('main .badge-ok', { hasText: 'verified' }).waitFor();
  });

  it("re-identifies on the audit page: a username search and a subject's Reveal ask for a reason and are recorded", async () => {
    await page.goto(`${gateway}/console/#/audit`);
    await page.getByRole('heading', { level: 1, name: 'Audit search' }).waitFor();
    const form = page.getByRole('form', { name: 'Search events' });
    await form.getByLabel('User (username)').fill('admin');
    await form.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('alert').getByText('choose a reason').waitFor();
    await form.getByLabel('Reason for re-identifying').selectOption('incident_response');
    await form.getByLabel('Case reference (optional)').fill('INC-7');
    await form.getByRole('button', { name: 'Search' }).click();
    const found = page.getByRole('status').filter({ hasText: 'Events of admin' });
    await found.waitFor();
    const subject = /pseudonym\s+(ps_[A-Za-z0-9_-]{22})/u.exec((await found.textContent()) ?? '')?.[1];
    assert.ok(subject !== undefined);

    // Reveal the admin's own subject in the table: a reason first, then the username in place.
    await page
      .getByRole('button', { name: `Reveal ${subject}` })
      .first()
      .click();
    const dialog = page.getByRole('region', { name: `Reveal ${subject}` });
    await dialog.getByLabel('Reason for re-identifying').selectOption('support_case');
    await dialog.getByRole('button', { name: 'Reveal', exact: true }).click();
    await page
      .locator('main td strong', { hasText: /^admin$/u })
      .first()
      .waitFor();
    assert.equal(await page.getByRole('region', { name: `Reveal ${subject}` }).count(), 0);
    // Both lookups are in the trail, under the console's client, with their reasons.
    const trail = await request(`${gateway}/audit/v1/events?event=audit.reidentified&limit=10`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${(await adminAccess(shop)).token}` },
    });
    const recorded = ((await trail.body.json()) as { events: Record<string, unknown>[] }).events;
    assert.deepEqual(
      recorded.map((event) => [event['reason'], event['target'], event['clientId'], event['ticket']]),
      [
        ['support_case', subject, 'rampart-console', undefined],
        ['incident_response', subject, 'rampart-console', 'INC-7'],
      ],
    );
    const result = await axe();
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], JSON.stringify(serious, null, 2));
  });

  it('is usable from the keyboard: skip link first, pages reachable by Tab and Enter', async () => {
    await page.goto(`${gateway}/console/#/overview`);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    // Start Tab order at the top, as a fresh visit does (the console moves focus into the page it
    // shows; the body is not focusable, so it is made so for this one call).
    await page.evaluate(
      "document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute('tabindex')",
    );
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent?.trim()'), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'main');
    const users = page.getByRole('link', { name: 'Users', exact: true });
    await users.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  });

  it('disables bob on the Users page: his token is refused at the gateway and his next sign-in fails', async () => {
    const bob = demoUser('bob');
    const fetchVia = fetchWith(agent);
    const issuer = `${gateway}/auth`;
    const shopWeb = await oidc.discovery(new URL(issuer), 'shop-web', undefined, oidc.None(), {
      [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
    });
    const auth = await authorization(shopWeb, 'openid orders:read');
    const done = await signIn(new TestBrowser({ issuer, fetch: fetchVia }), auth, bob);
    const tokens = await exchange(shopWeb, done.url, auth);
    const orders = async (): Promise<number> => {
      const res = await request(`${gateway}/orders`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      await res.body.dump();
      return res.statusCode;
    };
    assert.equal(await orders(), 200, 'bob can read his orders before');
    await page.goto(`${gateway}/console/#/sessions`);
    await page.getByRole('rowheader', { name: 'bob', exact: true }).first().waitFor();

    await page.goto(`${gateway}/console/#/users`);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Disable bob', exact: true }).click();
    await page.getByRole('status').getByText('bob is disabled and signed out everywhere.').waitFor();
    await page.getByRole('button', { name: 'Enable bob', exact: true }).waitFor();

    let status = 200;
    for (let tries = 0; tries < 40 && status === 200; tries++) {
      await sleep(100);
      status = await orders();
    }
    assert.equal(status, 401, "bob's token is refused once the gateway learns he is disabled");
    await page.goto(`${gateway}/console/#/sessions`);
    await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor();
    await page
      .getByRole('region', { name: 'Sessions' })
      .or(page.getByText('Nobody is signed in.'))
      .first()
      .waitFor();
    assert.equal(
      await page.getByRole('rowheader', { name: 'bob', exact: true }).count(),
      0,
      'his sessions are gone',
    );
    const again = await authorization(shopWeb, 'openid orders:read');
    const refused = await signIn(new TestBrowser({ issuer, fetch: fetchVia }), again, {
      username: bob.username,
      password: bob.password,
    });
    assert.equal(refused.url.startsWith(CALLBACK), false, 'a disabled account cannot sign in');
  });

  it('creates a client on the Clients page, then disables it: no new token, and its token is refused at the gateway', async () => {
    await page.goto(`${gateway}/console/#/clients`);
    await page.getByRole('heading', { level: 1, name: 'Clients' }).waitFor();
    await page.getByRole('button', { name: 'Create a client' }).click();
    const form = page.getByRole('form', { name: 'Create a client' });
    await form.getByLabel('Client id').fill('nightly-report');
    await form.getByLabel('Scopes').fill('orders:read');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('status').getByText('nightly-report was created.').waitFor();
    const secret = (await page.locator('.secret-value').textContent())?.trim() ?? '';
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/u, 'the secret is shown once');

    const fetchVia = fetchWith(agent);
    const job = await oidc.discovery(
      new URL(`${gateway}/auth`),
      'nightly-report',
      undefined,
      oidc.ClientSecretBasic(secret),
      { [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch },
    );
    const tokens = await oidc.clientCredentialsGrant(job, { scope: 'orders:read' });
    const orders = async (): Promise<number> => {
      const res = await request(`${gateway}/orders`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      await res.body.dump();
      return res.statusCode;
    };
    assert.notEqual(
      await orders(),
      401,
      'the token is accepted before (authorized or not is the route’s policy)',
    );

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Disable nightly-report', exact: true }).click();
    await page.getByRole('status').getByText('nightly-report is disabled: its tokens are refused.').waitFor();
    await page.getByRole('button', { name: 'Enable nightly-report', exact: true }).waitFor();

    let status = await orders();
    for (let tries = 0; tries < 40 && status !== 401; tries++) {
      await sleep(100);
      status = await orders();
    }
    assert.equal(status, 401, 'the gateway refuses the token once it learns the client is disabled');
    await assert.rejects(
      oidc.clientCredentialsGrant(job, { scope: 'orders:read' }),
      (error: unknown) =>
        JSON.stringify(error).includes('invalid_client') || String(error).includes('invalid_client'),
    );
  });

  it('logged no CSP violation and no script error in the browser', () => {
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(
      consoleErrors.filter(
        (text) => !/Failed to load resource: the server responded with a status of (404|502)/u.test(text),
      ),
      [],
    );
  });

  it('signs out at identity (end_session) and says so; signing in again asks for the password', async () => {
    await page.goto(`${gateway}/console/#/overview`);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Signed out' }).waitFor();
    // A new visit needs the password again: identity's session is gone.
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.waitForURL(/\/auth\/interaction\//u);
    assert.equal(await page.getByLabel('Password').count(), 1);
  });
});

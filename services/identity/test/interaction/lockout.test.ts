import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';
import {
  authorization,
  CALLBACK,
  csrfOf,
  eventually,
  formAction,
  INTERACTION_IDENTITY,
  PASSWORD,
  publicClient,
  signIn,
} from './support.ts';
import { TestBrowser } from '@rampart/testing';

/*
 * The harness has no gateway in front of identity, so a test chooses its client address with
 * X-Forwarded-For. In production only the gateway can connect (mTLS), and it sets the header.
 */
describe('brute-force lockout at the sign-in page', () => {
  let h: Harness;
  let config: oidc.Configuration;

  before(async () => {
    h = await startIdentity({ identityYaml: INTERACTION_IDENTITY });
    config = await publicClient(h);
    await h.identity.accounts.createUser({ username: 'erin', password: PASSWORD });
  });
  after(async () => {
    await h.close();
  });

  it('evaluates exactly the allowed number of 50 parallel wrong logins from one IP; the rest get 429', async () => {
    const allowed = h.identity.bruteForce.policy.pair.lockAfter;
    const browser = new TestBrowser(h, '192.0.2.50');
    const page = await browser.visit((await authorization(config)).url);
    const action = formAction(page.html, '/login');
    const csrf = csrfOf(page.html);
    const before = h.events.length;
    const responses = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await browser.post(action, { csrf, username: 'erin', password: 'a wrong password' });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), html: await res.text() };
      }),
    );
    const evaluated = responses.filter((r) => r.status === 401);
    const refused = responses.filter((r) => r.status === 429);
    assert.equal(evaluated.length, allowed);
    assert.equal(refused.length, 50 - allowed);
    for (const r of refused) {
      assert.ok(Number(r.retryAfter) > 0, 'Retry-After is set');
      assert.match(
        r.html,
        /The username or password is incorrect\. There were too many attempts: try again later\./,
      );
    }
    await eventually(
      () => h.events.slice(before).filter((e) => e.event === 'login.failed').length === allowed,
    );
    assert.equal(h.events.slice(before).filter((e) => e.event === 'login.locked_out').length, 50 - allowed);

    // The right password from that address is refused too, until the lock ends.
    const locked = await browser.post(action, { csrf, username: 'erin', password: PASSWORD });
    assert.equal(locked.status, 429);
  });

  it('still lets the same user sign in from another address', async () => {
    const done = await signIn(new TestBrowser(h, '192.0.2.51'), await authorization(config), {
      username: 'erin',
      password: PASSWORD,
    });
    assert.ok(done.url.startsWith(CALLBACK), 'one IP cannot lock the account for everyone');
  });
});

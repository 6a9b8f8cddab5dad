import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { requireService, TestBrowser } from '@rampart/testing';
import { CALLBACK, PASSWORD, authorization, exchange, publicClient, signIn } from '../interaction/support.ts';
import { startIdentity } from '../support/harness.ts';

const IDENTITY = `
  clients:
    - id: shop-web
      type: public
      grants: [authorization_code, refresh_token]
      redirectUris: [${CALLBACK}]
      scopes: [openid, profile, orders:read]
`;

/** Every value of every `oidc_payloads` row, as one text to search. */
async function storedText(store: { all<T extends object>(sql: string): Promise<T[]> }): Promise<string> {
  const rows = await store.all<Record<string, unknown>>('SELECT * FROM oidc_payloads');
  return JSON.stringify(rows);
}

const ENGINES = [
  { name: 'embedded', engine: 'embedded' as const, availability: { skip: false as const } },
  { name: 'PostgreSQL', engine: 'postgres' as const, availability: await requireService('postgres') },
];

for (const { name, engine, availability } of ENGINES) {
  describe(`identity's store holds no usable credential and no personal data (${name})`, availability, () => {
    it('keeps codes, refresh tokens, session and interaction ids only as keyed hashes, payloads sealed', async () => {
      const h = await startIdentity({ engine, identityYaml: IDENTITY });
      try {
        const displayName = 'Philippa Wrexham-Onyango';
        const user = await h.identity.accounts.createUser({
          username: 'philippa',
          password: PASSWORD,
          displayName,
        });
        const config = await publicClient(h);
        const browser = new TestBrowser(h);
        const loginHint = 'philippa.hint@example.org';
        const auth = await authorization(config, 'openid orders:read', { login_hint: loginHint });

        // Mid-flight: the interaction (with the authorization request) is stored.
        const login = await browser.visit(auth.url);
        assert.equal(login.status, 200);
        const interactionId = /\/interaction\/([A-Za-z0-9_-]+)/.exec(login.url)?.[1] ?? '';
        assert.ok(interactionId.length > 10, 'an interaction id in the URL');
        let stored = await storedText(h.store);
        assert.ok(!stored.includes(interactionId), 'the interaction id is not stored');
        assert.ok(!stored.includes(loginHint), 'the login_hint is not stored in clear');

        const done = await signIn(browser, auth, { username: 'philippa', password: PASSWORD });
        const code = new URL(done.url).searchParams.get('code') ?? '';
        stored = await storedText(h.store);
        assert.ok(code.length > 20 && !stored.includes(code), 'the code is not stored');
        const tokens = await exchange(config, done.url, auth);
        const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
        const cookies = browser
          .cookieHeader('/auth')
          .split('; ')
          .map((pair) => pair.slice(pair.indexOf('=') + 1))
          .filter((value) => value.length >= 20);
        assert.ok(cookies.length > 0);

        stored = await storedText(h.store);
        const secrets = {
          code,
          refreshToken: tokens.refresh_token ?? '',
          rotated: rotated.refresh_token ?? '',
          loginHint,
          interactionId,
          ...Object.fromEntries(cookies.map((value, i) => [`cookie${String(i)}`, value])),
        };
        for (const [kind, value] of Object.entries(secrets)) {
          assert.ok(value.length >= 10, `${kind} captured`);
          assert.ok(!stored.includes(value), `${kind} is not in oidc_payloads`);
        }
        const users = JSON.stringify(await h.store.all('SELECT * FROM users'));
        assert.ok(!users.includes(displayName), 'the display name is sealed');
        assert.equal((await h.identity.accounts.findById(user.id))?.displayName, displayName);

        // The hashed ids still serve their purpose: the session lists, the consumed token is a reuse.
        const sessionId = /(?:^|; )_session=([^;]+)/.exec(browser.cookieHeader('/auth'))?.[1] ?? '';
        assert.ok(
          (await h.identity.provider().Session.find(sessionId)) !== undefined,
          'the session is found',
        );
        await assert.rejects(
          oidc.refreshTokenGrant(config, tokens.refresh_token ?? ''),
          (error: { error?: string }) => error.error === 'invalid_grant',
        );
      } finally {
        await h.close();
      }
    });
  });
}

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import {
  CALLBACK,
  PASSWORD,
  authorization,
  exchange,
  jwtClaims,
  publicClient,
  signIn,
} from '../interaction/support.ts';
import { describeIfAvailable, requireService, TestBrowser } from '@rampart/testing';
import { startIdentity, type Harness } from '../support/harness.ts';

const IDENTITY = (tokens: string): string => `
  tokens: { ${tokens} }
  clients:
    - id: shop-web
      type: public
      grants: [authorization_code, refresh_token]
      redirectUris: [${CALLBACK}]
      scopes: [openid, profile, orders:read]
`;

/** Signs `username` in through the pages and exchanges the code: the tokens a SPA would hold. */
async function tokensFor(h: Harness, config: oidc.Configuration, username: string) {
  const auth = await authorization(config, 'openid orders:read');
  const page = await signIn(new TestBrowser(h), auth, { username, password: PASSWORD });
  assert.ok(page.url.startsWith(CALLBACK), `reached the callback, got ${page.url}`);
  return { tokens: await exchange(config, page.url, auth), callback: page.url, auth };
}

function refresh(config: oidc.Configuration, token: string) {
  return oidc.refreshTokenGrant(config, token);
}

const isInvalidGrant = (error: { error?: string }): boolean => error.error === 'invalid_grant';

describe('refresh tokens (RFC 9700 §4.14): rotation, reuse detection, single-use codes', () => {
  let h: Harness;
  let config: oidc.Configuration;

  before(async () => {
    h = await startIdentity({
      identityYaml: IDENTITY('refreshTokenIdleTtl: 1h, refreshTokenAbsoluteTtl: 1d'),
    });
    config = await publicClient(h);
    for (const name of ['rita', 'rory', 'cody', 'vera']) {
      await h.identity.accounts.createUser({ username: name, password: PASSWORD });
    }
  });
  after(async () => {
    await h.close();
  });

  it('rotates the refresh token on every use, and the new access token keeps the sign-in facts', async () => {
    const { tokens } = await tokensFor(h, config, 'rita');
    assert.ok(tokens.refresh_token !== undefined, 'a refresh token is issued to a client with the grant');
    const first = await refresh(config, tokens.refresh_token);
    assert.ok(first.refresh_token !== undefined && first.refresh_token !== tokens.refresh_token);
    const second = await refresh(config, first.refresh_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    const claims = jwtClaims(second.access_token);
    assert.deepEqual(claims['amr'], ['pwd']);
    assert.equal(typeof claims['gid'], 'string', 'the grant id travels for revocation');
    assert.ok(h.events.some((e) => e.event === 'token.refreshed' && e.outcome === 'success'));
  });

  it('revokes the whole family when a rotated refresh token is used again, and says so', async () => {
    const { tokens } = await tokensFor(h, config, 'rory');
    const old = tokens.refresh_token ?? '';
    const rotated = await refresh(config, old);
    const before = h.events.filter((e) => e.event === 'token.reuse_detected').length;
    await assert.rejects(refresh(config, old), isInvalidGrant, 'the stolen, rotated token is refused');
    await assert.rejects(
      refresh(config, rotated.refresh_token ?? ''),
      isInvalidGrant,
      "the legitimate client's newest token dies with the family",
    );
    const reuse = h.events.filter((e) => e.event === 'token.reuse_detected');
    assert.equal(reuse.length, before + 1);
    assert.equal(reuse.at(-1)?.reason, 'refresh_token_reused');
    assert.match(reuse.at(-1)?.subject ?? '', /^ps_/, 'the subject is pseudonymous');
    const gid = jwtClaims(rotated.access_token)['gid'];
    const { entries } = await h.identity.revocations.since(0);
    assert.ok(
      entries.some((entry) => entry.kind === 'grant' && entry.value === gid),
      "the family's grant reaches the gateways' revocation feed",
    );
  });

  it('refuses a replayed authorization code and revokes what the first exchange issued', async () => {
    const { tokens, callback, auth } = await tokensFor(h, config, 'cody');
    await assert.rejects(exchange(config, callback, auth), isInvalidGrant);
    await assert.rejects(refresh(config, tokens.refresh_token ?? ''), isInvalidGrant);
    assert.ok(
      h.events.some((e) => e.event === 'token.reuse_detected' && e.reason === 'authorization_code_replayed'),
    );
  });

  it('revokes a refresh token on request (RFC 7009)', async () => {
    const { tokens } = await tokensFor(h, config, 'rita');
    await oidc.tokenRevocation(config, tokens.refresh_token ?? '');
    await assert.rejects(refresh(config, tokens.refresh_token ?? ''), isInvalidGrant);
  });

  it('refuses a token exchange without the PKCE verifier the code was bound to', async () => {
    const auth = await authorization(config, 'openid');
    const page = await signIn(new TestBrowser(h), auth, { username: 'rita', password: PASSWORD });
    await assert.rejects(
      oidc.authorizationCodeGrant(config, new URL(page.url), {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: auth.state,
      }),
      isInvalidGrant,
    );
  });
});

describe('refresh-token lifetimes', () => {
  it('ends a refresh token after its idle lifetime, and the family at the absolute lifetime', async () => {
    // Token times are whole seconds (`exp` = floored `iat` + TTL) and CI machines are busy: every
    // step below keeps at least a second of margin on both sides.
    const h = await startIdentity({
      identityYaml: IDENTITY('refreshTokenIdleTtl: 4s, refreshTokenAbsoluteTtl: 7s'),
    });
    try {
      const config = await publicClient(h);
      await h.identity.accounts.createUser({ username: 'ida', password: PASSWORD });
      const idle = await tokensFor(h, config, 'ida');
      await sleep(5_200);
      await assert.rejects(refresh(config, idle.tokens.refresh_token ?? ''), isInvalidGrant, 'idle too long');

      const active = await tokensFor(h, config, 'ida');
      const signedInAt = Date.now();
      let token = active.tokens.refresh_token ?? '';
      // Used every 1.5 s it never idles out (4 s), but the family ends 7 s after the sign-in.
      while (Date.now() - signedInAt < 4_500) {
        await sleep(1_500);
        token = (await refresh(config, token)).refresh_token ?? '';
      }
      await sleep(Math.max(0, signedInAt + 8_200 - Date.now()));
      await assert.rejects(refresh(config, token), isInvalidGrant, 'past the absolute lifetime');
    } finally {
      await h.close();
    }
  });
});

describe('sign-in session lifetime', () => {
  it('ends the sign-in session at the absolute lifetime, however often it is used', async () => {
    const h = await startIdentity({
      identityYaml: IDENTITY('refreshTokenIdleTtl: 2s, refreshTokenAbsoluteTtl: 4s'),
    });
    try {
      const config = await publicClient(h);
      await h.identity.accounts.createUser({ username: 'sam', password: PASSWORD });
      const browser = new TestBrowser(h);
      const signedInAt = Date.now();
      const first = await signIn(browser, await authorization(config), {
        username: 'sam',
        password: PASSWORD,
      });
      assert.ok(first.url.startsWith(CALLBACK));
      // Used again and again within the lifetime: single sign-on, no login page.
      for (const at of [1_200, 2_400]) {
        await sleep(Math.max(0, signedInAt + at - Date.now()));
        const again = await browser.visit((await authorization(config)).url);
        assert.ok(again.url.startsWith(CALLBACK), `still signed in at ${at} ms`);
      }
      await sleep(Math.max(0, signedInAt + 5_500 - Date.now()));
      const after = await browser.visit((await authorization(config)).url);
      assert.equal(after.url.startsWith(CALLBACK), false, 'the session ended: the login page again');
      assert.match(after.html, /name="password"/);
    } finally {
      await h.close();
    }
  });
});

// On PostgreSQL, where requests really run in parallel on several connections (the embedded engine
// happens to serialize whole requests, so a broken consume would not show there; single-use.test.ts
// proves the adapter's consumption atomic on both engines).
describeIfAvailable('refresh-token rotation under a race', await requireService('postgres'), () => {
  it('lets at most one of 10 parallel rotations of the same token win; the others revoke the family', async () => {
    const h = await startIdentity({ engine: 'postgres', identityYaml: IDENTITY('refreshTokenIdleTtl: 1h') });
    try {
      const config = await publicClient(h);
      await h.identity.accounts.createUser({ username: 'vera', password: PASSWORD });
      for (let round = 0; round < 3; round++) {
        const { tokens } = await tokensFor(h, config, 'vera');
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () => refresh(config, tokens.refresh_token ?? '')),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.ok(won.length <= 1, `round ${round}: at most one rotation wins, got ${won.length}`);
        for (const winner of won) {
          await assert.rejects(refresh(config, winner.value.refresh_token ?? ''), isInvalidGrant);
        }
      }
    } finally {
      await h.close();
    }
  });
});

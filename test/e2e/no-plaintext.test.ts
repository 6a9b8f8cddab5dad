import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { Agent, request } from 'undici';
import { componentSpiffeId } from '@rampart/mesh';
import {
  TestBrowser,
  fetchWith,
  callService,
  startShop,
  SHOP_TRUST_DOMAIN,
  type RunningShop,
} from '@rampart/testing';
import { adminAccess, authorization, exchange, signIn } from '@rampart/identity/testing';

/**
 * A person's full session with identity through the gateway: an account created with a display
 * name (admin API), a sign-in with password + TOTP and a `login_hint`, the code exchanged, the
 * refresh token rotated. Returns every bearer secret and personal value it saw.
 */
async function identitySession(shop: RunningShop): Promise<Record<string, string>> {
  const agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
  try {
    const issuer = `https://127.0.0.1:${shop.ports.gateway}/auth`;
    const { token } = await adminAccess(shop);
    const displayName = 'Ottoline Quarrington-Vasquez';
    const created = await request(`${issuer}/admin/users`, {
      dispatcher: agent,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ottoline', displayName }),
    });
    assert.equal(created.statusCode, 201, await created.body.text());

    const demo = JSON.parse(readFileSync(join(shop.home, 'demo-users.json'), 'utf8')) as {
      users: { username: string; password: string; totpSecret: string }[];
    };
    const alice = demo.users.find((user) => user.username === 'alice');
    assert.ok(alice !== undefined);
    const fetchVia = fetchWith(agent);
    const config = await oidc.discovery(new URL(issuer), 'shop-web', undefined, oidc.None(), {
      [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
    });
    const browser = new TestBrowser({ issuer, fetch: fetchVia });
    const loginHint = 'alice.hint.7c1e@example.org';
    const auth = await authorization(config, 'openid orders:read', { login_hint: loginHint });
    const done = await signIn(browser, auth, alice);
    const code = new URL(done.url).searchParams.get('code') ?? '';
    assert.ok(code.length > 20, 'a code came back');
    const cookies = browser
      .cookieHeader('/auth')
      .split('; ')
      .map((pair) => pair.slice(pair.indexOf('=') + 1))
      .filter((value) => value.length >= 20);
    assert.ok(cookies.length > 0, 'the sign-in left session cookies');
    const tokens = await exchange(config, done.url, auth);
    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    return {
      displayName,
      loginHint,
      code,
      refreshToken: tokens.refresh_token ?? '',
      rotatedRefreshToken: rotated.refresh_token ?? '',
      ...Object.fromEntries(cookies.map((value, i) => [`sessionCookie${String(i)}`, value])),
    };
  } finally {
    await agent.close();
  }
}

/** Every regular file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('no secret or PII in plain text anywhere under .rampart/ (logs, data, state)', () => {
  it('after a scripted shop session through every service', async () => {
    const shop = await startShop();
    let runningLeaks: string[] | undefined;
    const secrets: Record<string, string> = {
      name: 'Wilhelmina Zwicky-Oyelaran',
      email: 'wilhelmina.zwicky@example.org',
      phone: '+44 20 7946 0958',
      address: '221B Baker Street, London NW1 6XE',
      cardNumber: '4111111111111111',
      // rampart-ignore secrets/generic-secret a planted value the test looks for in storage and logs: it must never appear in plaintext
      password: 'CorrectHorseBatteryStaple-42',
    };
    try {
      const gateway = await shop.credentials(componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway'));
      const profileToken = await shop.token({
        sub: 'user-7f3a',
        aud: 'profiles',
        scope: 'profile:read profile:write',
      });
      const ordersToken = await shop.token({
        sub: 'user-7f3a',
        aud: 'orders',
        scope: 'orders:read orders:write',
      });
      secrets['profileToken'] = profileToken;
      secrets['ordersToken'] = ordersToken;
      const asGateway = (token: string) => ({ ca: shop.bundle(), cert: gateway, token });

      const { name, email, phone, address, cardNumber, password } = secrets;
      const saved = await callService(
        shop.ports.profiles,
        'profiles',
        '/profiles/me',
        asGateway(profileToken),
        {
          method: 'PUT',
          body: { name, email, phone, address },
        },
      );
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(
        (await callService(shop.ports.profiles, 'profiles', '/profiles/me', asGateway(profileToken))).status,
        200,
      );
      // Hostile or careless input: a password where none belongs, PII in a rejected body.
      const rejected = await callService(
        shop.ports.profiles,
        'profiles',
        '/profiles/me',
        asGateway(profileToken),
        {
          method: 'PUT',
          body: { name, email, password },
        },
      );
      assert.equal(rejected.status, 400);

      const order = await callService(shop.ports.orders, 'orders', '/orders', asGateway(ordersToken), {
        method: 'POST',
        body: { items: [{ sku: 'MUG-1', quantity: 1 }] },
      });
      const { id } = order.body as { id: string };
      const paid = await callService(
        shop.ports.orders,
        'orders',
        `/orders/${id}/payment`,
        asGateway(ordersToken),
        {
          method: 'POST',
          body: { cardNumber, expiry: '11/38' },
        },
      );
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      const declined = await callService(
        shop.ports.orders,
        'orders',
        `/orders/${id}/payment`,
        asGateway(ordersToken),
        {
          method: 'POST',
          body: { cardNumber: '4111111111111112', expiry: '11/38' },
        },
      );
      assert.notEqual(declined.status, 200);
      // A stolen token presented to the wrong service.
      assert.equal(
        (await callService(shop.ports.profiles, 'profiles', '/profiles/me', asGateway(ordersToken))).status,
        401,
      );
      Object.assign(secrets, await identitySession(shop));
      for (const [kind, value] of Object.entries(secrets))
        assert.ok(value.length >= 8, `${kind} was captured`);
      runningLeaks = leaksUnder(shop.home, secrets);
    } finally {
      await shop.up.stop();
    }

    const files = filesUnder(shop.home);
    assert.ok(
      files.some((f) => f.endsWith('service.sqlite')),
      'the services stored data',
    );
    assert.ok(
      files.some((f) => f.endsWith('profiles.log')),
      'the services logged',
    );
    const stoppedLeaks = leaksUnder(shop.home, secrets);
    await shop.stop();
    assert.deepEqual(runningLeaks, [], 'while running (journals included)');
    assert.deepEqual(stoppedLeaks, [], 'after stopping');
  });
});

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file).toString('latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** `kind in file` for every secret value found in a file under `home`. */
function leaksUnder(home: string, secrets: Readonly<Record<string, string>>): string[] {
  const leaks: string[] = [];
  for (const file of filesUnder(home)) {
    // A running platform renames files as it goes (an outbox's acknowledged position is written
    // to a temporary file, then renamed): one gone since the listing holds nothing any more.
    const content = readIfPresent(file);
    if (content === undefined) continue;
    for (const [kind, value] of Object.entries(secrets)) {
      if (content.includes(value)) leaks.push(`${kind} in ${file.slice(home.length + 1)}`);
    }
  }
  return leaks;
}

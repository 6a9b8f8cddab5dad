import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { Agent, request } from 'undici';
import { componentSpiffeId, serviceSpiffeId, verifyPeerSpiffeId } from '@rampart/mesh';
import { TestBrowser, fetchWith, startShop, SHOP_TRUST_DOMAIN, type RunningShop } from '@rampart/testing';
import { authorization, csrfOf, exchange, formAction, jwtClaims, signIn } from '@rampart/identity/testing';

interface DemoUser {
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string;
}

/**
 * Identity as `rampart up` runs it, reached only through the gateway at /auth: the shop's demo
 * identities, a person signing in with password + TOTP, a service client with its generated
 * secret, and the tokens working at the shop's routes.
 */
describe('identity under rampart up, through the gateway', () => {
  let shop: RunningShop;
  let agent: Agent;
  let issuer: string;
  let fetchVia: (url: string, init?: RequestInit) => Promise<Response>;

  before(async () => {
    shop = await startShop();
    agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    fetchVia = fetchWith(agent);
    issuer = `https://127.0.0.1:${shop.ports.gateway}/auth`;
  });
  after(async () => {
    await agent.close();
    await shop.stop();
  });

  const gatewayGet = async (path: string, token: string): Promise<number> => {
    const res = await request(`https://127.0.0.1:${shop.ports.gateway}${path}`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}` },
    });
    await res.body.dump();
    return res.statusCode;
  };

  it('writes the generated credentials 0600 and never logs them', () => {
    const adminPassword = readFileSync(join(shop.home, 'admin-password'), 'utf8').trim();
    const cliSecret = readFileSync(join(shop.home, 'clients/shop-cli.secret'), 'utf8').trim();
    const demo = (
      JSON.parse(readFileSync(join(shop.home, 'demo-users.json'), 'utf8')) as { users: DemoUser[] }
    ).users;
    assert.deepEqual(
      demo.map((u) => u.username),
      ['alice', 'bob'],
    );
    for (const file of ['admin-password', 'clients/shop-cli.secret', 'demo-users.json']) {
      assert.equal(statSync(join(shop.home, file)).mode & 0o777, 0o600, file);
    }
    assert.equal(
      readdirSync(join(shop.home, 'identity')).includes('bootstrap.json'),
      false,
      'identity deleted its bootstrap file once applied',
    );
    const logs = readdirSync(join(shop.home, 'logs'))
      .map((name) => readFileSync(join(shop.home, 'logs', name), 'utf8'))
      .join('\n');
    for (const secret of [adminPassword, cliSecret, ...demo.flatMap((u) => [u.password, u.totpSecret])]) {
      assert.equal(logs.includes(secret), false, 'a generated credential reached a log');
    }
    assert.match(shop.up.output, /first admin {2}user admin, one-time password in .*admin-password/);
  });

  it('publishes discovery at /auth and issues client-credentials tokens the gateway accepts', async () => {
    const secret = readFileSync(join(shop.home, 'clients/shop-cli.secret'), 'utf8').trim();
    const config = await oidc.discovery(
      new URL(issuer),
      'shop-cli',
      undefined,
      oidc.ClientSecretBasic(secret),
      {
        [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
      },
    );
    assert.equal(config.serverMetadata().issuer, issuer);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    assert.equal(await gatewayGet('/orders', tokens.access_token), 200);
    assert.equal(await gatewayGet('/profiles/me', tokens.access_token), 403, 'no profile:read scope');
  });

  it('accepts a DPoP-bound token only with a fresh proof from its key (RFC 9449)', async () => {
    const secret = readFileSync(join(shop.home, 'clients/shop-cli.secret'), 'utf8').trim();
    const config = await oidc.discovery(
      new URL(issuer),
      'shop-cli',
      undefined,
      oidc.ClientSecretBasic(secret),
      {
        [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
      },
    );
    const dpop = oidc.getDPoPHandle(config, await generateKeyPair('ES256'));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' }, { DPoP: dpop });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    const orders = new URL(`https://127.0.0.1:${shop.ports.gateway}/orders`);
    const withProof = await oidc.fetchProtectedResource(
      config,
      tokens.access_token,
      orders,
      'GET',
      undefined,
      undefined,
      {
        DPoP: dpop,
      },
    );
    assert.equal(withProof.status, 200);
    assert.equal(
      await gatewayGet('/orders', tokens.access_token),
      401,
      'a stolen bound token is useless as a bearer token',
    );
    const thief = oidc.getDPoPHandle(config, await generateKeyPair('ES256'));
    await assert.rejects(
      oidc.fetchProtectedResource(config, tokens.access_token, orders, 'GET', undefined, undefined, {
        DPoP: thief,
      }),
      (error: { code?: string }) => error.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      'nor with a proof from another key (401 with a challenge)',
    );
  });

  it('signs alice in with password + TOTP through the gateway; her token opens her profile', async () => {
    const alice = (
      JSON.parse(readFileSync(join(shop.home, 'demo-users.json'), 'utf8')) as { users: DemoUser[] }
    ).users.find((u) => u.username === 'alice');
    assert.ok(alice !== undefined);
    const config = await oidc.discovery(new URL(issuer), 'shop-web', undefined, oidc.None(), {
      [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
    });
    const browser = new TestBrowser({ issuer, fetch: fetchVia });
    const auth = await authorization(config, 'openid profile:read profile:write');
    const done = await signIn(browser, auth, alice);
    const tokens = await exchange(config, done.url, auth);
    assert.deepEqual(jwtClaims(tokens.access_token)['amr'], ['pwd', 'otp', 'mfa']);
    const put = await request(`https://127.0.0.1:${shop.ports.gateway}/profiles/me`, {
      dispatcher: agent,
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Alice Liddell', email: 'alice@example.com' }),
    });
    await put.body.dump();
    assert.equal(put.statusCode, 200);
    assert.equal(await gatewayGet('/profiles/me', tokens.access_token), 200);
  });

  it('stops accepting an access token at the gateway within a second of its family being revoked', async () => {
    const bob = (
      JSON.parse(readFileSync(join(shop.home, 'demo-users.json'), 'utf8')) as { users: DemoUser[] }
    ).users.find((u) => u.username === 'bob');
    assert.ok(bob !== undefined);
    const config = await oidc.discovery(new URL(issuer), 'shop-web', undefined, oidc.None(), {
      [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
    });
    const auth = await authorization(config, 'openid orders:read');
    const done = await signIn(new TestBrowser({ issuer, fetch: fetchVia }), auth, bob);
    const tokens = await exchange(config, done.url, auth);
    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.equal(await gatewayGet('/orders', rotated.access_token), 200);
    const from = shop.up.output.length;
    // The old refresh token comes back (stolen): identity revokes the family.
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? ''));
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 3_000) {
      status = await gatewayGet('/orders', rotated.access_token);
      if (status === 200) await sleep(50);
    }
    assert.equal(status, 401, 'the family’s access token is refused');
    assert.ok(Date.now() - revokedAt < 1_500, `refused after ${Date.now() - revokedAt} ms`);
    // …and the person running the platform sees it, not only the 0600 log file.
    await shop.up.waitFor(
      /⚠ \d\d:\d\d:\d\dZ identity\s+token\.reuse_detected subject ps_[\w-]+ reason refresh_token_reused\n/,
      5_000,
      from,
    );
  });

  it('shows lockouts in the terminal of rampart up, at most 5 lines of one event per 10 s', async () => {
    const config = await oidc.discovery(new URL(issuer), 'shop-web', undefined, oidc.None(), {
      [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
    });
    const browser = new TestBrowser({ issuer, fetch: fetchVia });
    const page = await browser.visit((await authorization(config)).url);
    const action = formAction(page.html, '/login');
    const csrf = csrfOf(page.html);
    const from = shop.up.output.length;
    // 40 wrong passwords at once for one name: 10 are evaluated, 30 refused by the lockout.
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const res = await browser.post(action, { csrf, username: 'mallory', password: 'a wrong password' });
        await res.body?.cancel();
        return res.status;
      }),
    );
    const refused = statuses.filter((status) => status === 429).length;
    assert.ok(refused >= 25, `${refused} lockouts`);
    await shop.up.waitFor(new RegExp(`⚠ … and ${refused - 5} more login\\.locked_out in 10 s`), 15_000, from);
    const lines = shop.up.output
      .slice(from)
      .match(/⚠ \d\d:\d\d:\d\dZ identity\s+login\.locked_out reason \w+\n/g);
    assert.equal(lines?.length, 5);
  });

  it('serves identity to the gateway alone: another workload is refused, no certificate fails the handshake', async () => {
    const orders = await shop.credentials(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'orders'));
    const asOrders = new Agent({
      connect: {
        ca: shop.bundle(),
        cert: orders.cert,
        key: orders.key,
        checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(SHOP_TRUST_DOMAIN, 'identity')),
      },
    });
    try {
      const res = await request(
        `https://127.0.0.1:${shop.ports.identity}/auth/.well-known/openid-configuration`,
        {
          dispatcher: asOrders,
        },
      );
      assert.equal(res.statusCode, 403);
      await res.body.dump();
    } finally {
      await asOrders.close();
    }
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(
        { host: '127.0.0.1', port: shop.ports.identity, ca: shop.bundle(), servername: 'x' },
        () => {
          socket.write('GET /auth/jwks HTTP/1.1\r\nhost: x\r\n\r\n');
        },
      );
      socket.on('data', () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', () => {
        resolve(true);
      });
      socket.on('close', () => {
        resolve(true);
      });
    });
    assert.equal(refused, true, 'a client without a workload certificate gets no answer');
  });
});

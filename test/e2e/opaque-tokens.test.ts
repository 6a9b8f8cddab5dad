import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { Agent, request } from 'undici';
import { TestBrowser, fetchWith, startShop, type RunningShop } from '@rampart/testing';
import { authorization, CALLBACK, exchange, signIn } from '@rampart/identity/testing';

/** The gateway reuses an active introspection answer this long (auth/introspection.ts). */
const INTROSPECTION_CACHE_TTL_MS = 10_000;
const OPAQUE = /^[A-Za-z0-9_-]{43}$/;

/** Two clients of the shop whose API tokens are opaque: a service and a browser app. */
const OPAQUE_CLIENTS = `    - id: shop-cli-opaque
      type: confidential
      grants: [client_credentials]
      scopes: [orders:read]
      accessTokenFormat: opaque
    - id: shop-web-opaque
      type: public
      grants: [authorization_code, refresh_token]
      redirectUris: [${CALLBACK}]
      scopes: [openid, orders:read]
      accessTokenFormat: opaque
`;

interface DemoUser {
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string;
}

/**
 * Opaque access tokens under `rampart up`: identity issues them to the clients configured so, and
 * the gateway checks each with identity (`/internal/introspect`, mTLS) before the rest of the
 * pipeline — scopes, DPoP, the revocation feed — applies to it as to a JWT.
 */
describe('opaque access tokens through the gateway (introspection)', () => {
  let shop: RunningShop;
  let agent: Agent;
  let issuer: string;
  let fetchVia: (url: string, init?: RequestInit) => Promise<Response>;
  let cli: oidc.Configuration;

  before(async () => {
    shop = await startShop({
      edit: (yaml) => yaml.replace(/^ {2}clients:\n/m, `$&${OPAQUE_CLIENTS}`),
    });
    agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    fetchVia = fetchWith(agent);
    issuer = `https://127.0.0.1:${shop.ports.gateway}/auth`;
    const secret = readFileSync(join(shop.home, 'clients/shop-cli-opaque.secret'), 'utf8').trim();
    cli = await oidc.discovery(
      new URL(issuer),
      'shop-cli-opaque',
      undefined,
      oidc.ClientSecretBasic(secret),
      {
        [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
      },
    );
  });
  after(async () => {
    await agent.close();
    await shop.stop();
  });

  /** GET through the gateway with a bearer token: the status and the problem's code, if any. */
  const gatewayGet = async (path: string, token: string): Promise<{ status: number; code?: string }> => {
    const res = await request(`https://127.0.0.1:${shop.ports.gateway}${path}`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await res.body.text();
    const code = res.statusCode >= 400 ? (JSON.parse(text) as { code?: string }).code : undefined;
    return { status: res.statusCode, ...(code === undefined ? {} : { code }) };
  };

  /** Polls until the token is refused; returns the refusal and how long it took. */
  const untilRefused = async (
    token: string,
    limitMs: number,
  ): Promise<{ status: number; code?: string; ms: number }> => {
    const started = Date.now();
    let answer = await gatewayGet('/orders', token);
    while (answer.status === 200 && Date.now() - started < limitMs) {
      await sleep(100);
      answer = await gatewayGet('/orders', token);
    }
    return { ...answer, ms: Date.now() - started };
  };

  it('issues an opaque token to a client configured so; the gateway accepts it with its scopes', async () => {
    const tokens = await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' });
    assert.match(tokens.access_token, OPAQUE);
    assert.deepEqual(await gatewayGet('/orders', tokens.access_token), { status: 200 });
    assert.deepEqual(await gatewayGet('/profiles/me', tokens.access_token), {
      status: 403,
      code: 'GW_FORBIDDEN',
    });
  });

  it('refuses an opaque-shaped token identity never issued', async () => {
    const forged = randomBytes(32).toString('base64url');
    assert.match(forged, OPAQUE);
    assert.deepEqual(await gatewayGet('/orders', forged), { status: 401, code: 'GW_TOKEN_INVALID' });
  });

  it('accepts a DPoP-bound opaque token only with a proof from its key', async () => {
    const dpop = oidc.getDPoPHandle(cli, await generateKeyPair('ES256'));
    const tokens = await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' }, { DPoP: dpop });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    assert.match(tokens.access_token, OPAQUE);
    const orders = new URL(`https://127.0.0.1:${shop.ports.gateway}/orders`);
    const withProof = await oidc.fetchProtectedResource(
      cli,
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
    assert.deepEqual(await gatewayGet('/orders', tokens.access_token), {
      status: 401,
      code: 'GW_TOKEN_INVALID',
    });
  });

  it(`refuses a token revoked at identity (RFC 7009) within the cache TTL (${INTROSPECTION_CACHE_TTL_MS} ms)`, async () => {
    const tokens = await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' });
    assert.equal((await gatewayGet('/orders', tokens.access_token)).status, 200, 'now cached as active');
    await oidc.tokenRevocation(cli, tokens.access_token);
    const refused = await untilRefused(tokens.access_token, INTROSPECTION_CACHE_TTL_MS + 3_000);
    assert.equal(refused.status, 401);
    assert.equal(refused.code, 'GW_TOKEN_INVALID');
    assert.ok(refused.ms <= INTROSPECTION_CACHE_TTL_MS + 1_000, `refused after ${refused.ms} ms`);
  });

  it('refuses a user’s opaque token within a second of its family being revoked (the revocation feed)', async () => {
    const bob = (
      JSON.parse(readFileSync(join(shop.home, 'demo-users.json'), 'utf8')) as { users: DemoUser[] }
    ).users.find((u) => u.username === 'bob');
    assert.ok(bob !== undefined);
    const web = await oidc.discovery(new URL(issuer), 'shop-web-opaque', undefined, oidc.None(), {
      [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
    });
    const auth = await authorization(web, 'openid orders:read');
    const done = await signIn(new TestBrowser({ issuer, fetch: fetchVia }), auth, bob);
    const tokens = await exchange(web, done.url, auth);
    const rotated = await oidc.refreshTokenGrant(web, tokens.refresh_token ?? '');
    assert.match(rotated.access_token, OPAQUE);
    assert.equal((await gatewayGet('/orders', rotated.access_token)).status, 200, 'now cached as active');
    // The old refresh token comes back (stolen): identity revokes the family and feeds it to gateways.
    await assert.rejects(oidc.refreshTokenGrant(web, tokens.refresh_token ?? ''));
    const refused = await untilRefused(rotated.access_token, 3_000);
    // Refused by the feed while introspection's answer is still cached: the feed applies to opaque tokens.
    assert.deepEqual(
      { status: refused.status, code: refused.code },
      { status: 401, code: 'GW_TOKEN_REVOKED' },
    );
    assert.ok(refused.ms < 1_500, `refused after ${refused.ms} ms`);
  });

  // Last: it spends this IP's budget of introspections for the next 10 s.
  it('gives one client IP a budget of introspections: made-up tokens past it never reach identity', async () => {
    const answers: { status: number; code?: string }[] = [];
    for (let i = 0; i < 70; i++)
      answers.push(await gatewayGet('/orders', randomBytes(32).toString('base64url')));
    const asked = answers.filter((a) => a.code === 'GW_TOKEN_INVALID').length;
    const limited = answers.filter((a) => a.status === 429 && a.code === 'GW_RATE_LIMITED').length;
    assert.equal(asked + limited, 70, JSON.stringify(answers));
    assert.ok(
      asked <= 60 && asked >= 50,
      `at most 60 lookups per 10 s from one IP, shared by the workers: ${asked}`,
    );
    assert.deepEqual(answers.slice(asked), Array(70 - asked).fill({ status: 429, code: 'GW_RATE_LIMITED' }));
  });
});

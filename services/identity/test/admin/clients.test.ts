import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose';
import * as oidc from 'openid-client';
import { hashClientSecret } from '../../src/oidc/client-secrets.ts';
import { startAdminHarness, type AdminHarness } from './admin-support.ts';

interface ClientJson {
  readonly clientId: string;
  readonly source: string;
  readonly type: string;
  readonly grants: string[];
  readonly authMethod: string;
  readonly scopes: string[];
  readonly firstParty: boolean;
}

/** openid-client against this identity (endpoints named explicitly), over the harness's trusted TLS. */
function relyingParty(a: AdminHarness, clientId: string, auth: oidc.ClientAuth): oidc.Configuration {
  const { issuer } = a.h;
  const config = new oidc.Configuration(
    { issuer, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` },
    clientId,
    undefined,
    auth,
  );
  config[oidc.customFetch] = a.h.fetch as unknown as oidc.CustomFetch;
  return config;
}

/** openid-client's error for a refused token request: the OAuth `error` in the body or in the challenge. */
function oauthError(code: string): (error: unknown) => boolean {
  return (error: unknown) => {
    const { error: inBody, cause } = error as { error?: unknown; cause?: unknown };
    const challenges = Array.isArray(cause) ? (cause as { parameters?: { error?: unknown } }[]) : [];
    return inBody === code || challenges.some((challenge) => challenge.parameters?.error === code);
  };
}

/** Entries on the revocation feed for every token of client `clientId`. */
async function clientRevocations(a: AdminHarness, clientId: string): Promise<number> {
  const row = await a.h.store.get<{ n: number }>(
    "SELECT COUNT(*) AS n FROM revocations WHERE kind = 'client' AND value = ?",
    [clientId],
  );
  return Number(row?.n);
}

async function clientCount(a: AdminHarness): Promise<number> {
  const row = await a.h.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM oauth_clients');
  return Number(row?.n);
}

describe('admin API: clients (applications)', () => {
  let a: AdminHarness;

  before(async () => {
    a = await startAdminHarness();
  });
  after(async () => {
    await a.close();
  });

  it('lists the rampart.yaml clients and the built-in ones (admin CLI, console) as read-only', async () => {
    const res = await a.call('GET', '/clients');
    assert.equal(res.status, 200);
    const items = res.json['items'] as ClientJson[];
    assert.deepEqual(
      items.map((client) => [client.clientId, client.source, client.type]),
      [
        ['rampart-cli', 'builtin', 'public'],
        ['rampart-console', 'builtin', 'public'],
        ['shop-cli', 'config', 'confidential'],
        ['shop-web', 'config', 'public'],
      ],
    );
    assert.ok(!res.text.includes('sha256:'), 'no secret hash is shown');
    for (const [method, path] of [
      ['DELETE', '/clients/shop-cli'],
      ['POST', '/clients/shop-cli/secret'],
      ['DELETE', '/clients/rampart-cli'],
      ['DELETE', '/clients/rampart-console'],
    ] as const) {
      const refused = await a.call(method, path);
      assert.equal(refused.status, 409, path);
      assert.equal(refused.json['error'], 'read_only');
    }
    assert.equal((await a.call('GET', '/clients/shop-web')).json['source'], 'config');
  });

  it('creates a confidential client: the secret is shown once, only its hash is stored, and openid-client gets tokens with it', async () => {
    const from = a.h.events.length;
    const res = await a.call('POST', '/clients', {
      body: {
        clientId: 'billing-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
      },
    });
    assert.equal(res.status, 201, res.text);
    const secret = res.json['clientSecret'] as string;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url');
    const client = res.json['client'] as ClientJson;
    assert.equal(client.source, 'api');
    assert.equal(client.authMethod, 'client_secret_basic');
    assert.equal(client.firstParty, false);

    const row = await a.h.store.get<{ secret_hash: string; metadata: string }>(
      "SELECT secret_hash, metadata FROM oauth_clients WHERE client_id = 'billing-job'",
    );
    assert.equal(row?.secret_hash, hashClientSecret(secret));
    assert.ok(!row.metadata.includes(secret));
    const payload = await a.h.store.get<{ payload: string; expires_at: number | null }>(
      "SELECT payload, expires_at FROM oidc_payloads WHERE model = 'Client' AND id = 'billing-job'",
    );
    assert.equal(
      (JSON.parse(payload?.payload ?? '{}') as { client_secret?: string }).client_secret,
      hashClientSecret(secret),
    );
    assert.equal(payload?.expires_at, null);
    assert.ok((await a.h.identity.provider().Client.find('billing-job')) !== undefined);

    const config = relyingParty(a, 'billing-job', oidc.ClientSecretBasic(secret));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    const jwks = (await (await a.h.fetch(`${a.h.issuer}/jwks`)).json()) as JSONWebKeySet;
    const { payload: claims } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: a.h.issuer,
      audience: a.h.identity.settings.apiAudience,
      typ: 'at+jwt',
    });
    assert.equal(claims['client_id'], 'billing-job');

    const got = await a.call('GET', '/clients/billing-job');
    assert.ok(!got.text.includes(secret) && !got.text.includes('sha256:'));
    const events = a.eventsSince(from).filter((event) => event.event.startsWith('admin.'));
    assert.deepEqual(
      events.map((event) => event.event),
      ['admin.client_created'],
    );
    assert.ok(!JSON.stringify(a.h.events).includes(secret));
  });

  it('rotates the secret: the new one works, the old one stops at once', async () => {
    const created = await a.call('POST', '/clients', {
      body: {
        clientId: 'rotating-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
      },
    });
    const oldSecret = created.json['clientSecret'] as string;
    const rotated = await a.call('POST', '/clients/rotating-job/secret');
    assert.equal(rotated.status, 200);
    const newSecret = rotated.json['clientSecret'] as string;
    assert.notEqual(newSecret, oldSecret);
    await assert.rejects(
      oidc.clientCredentialsGrant(relyingParty(a, 'rotating-job', oidc.ClientSecretBasic(oldSecret)), {
        scope: 'orders:read',
      }),
      oauthError('invalid_client'),
    );
    const tokens = await oidc.clientCredentialsGrant(
      relyingParty(a, 'rotating-job', oidc.ClientSecretBasic(newSecret)),
      {
        scope: 'orders:read',
      },
    );
    assert.equal(typeof tokens.access_token, 'string');
    assert.equal(a.h.events.filter((event) => event.event === 'admin.client_secret_rotated').length, 1);
  });

  it('deletes a client: it can no longer get tokens, and its grants and refresh tokens are gone', async () => {
    const created = await a.call('POST', '/clients', {
      body: {
        clientId: 'doomed-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
      },
    });
    const config = relyingParty(
      a,
      'doomed-job',
      oidc.ClientSecretBasic(created.json['clientSecret'] as string),
    );
    await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    await a.h.store.run(
      "INSERT INTO oidc_payloads (model, id, payload, client_id) VALUES ('Grant', 'grant-doomed', ?, 'doomed-job'), ('Grant', 'grant-other', ?, 'doomed-job-2')",
      [
        JSON.stringify({ clientId: 'doomed-job', accountId: 'x' }),
        JSON.stringify({ clientId: 'doomed-job-2', accountId: 'x' }),
      ],
    );
    await a.h.store.run(
      "INSERT INTO oidc_payloads (model, id, payload, grant_id) VALUES ('RefreshToken', 'rt-doomed', '{}', 'grant-doomed')",
    );

    assert.equal((await a.call('DELETE', '/clients/doomed-job')).status, 204);
    await assert.rejects(
      oidc.clientCredentialsGrant(config, { scope: 'orders:read' }),
      oauthError('invalid_client'),
    );
    assert.equal(await a.h.identity.provider().Client.find('doomed-job'), undefined);
    const left = await a.h.store.all<{ id: string }>(
      "SELECT id FROM oidc_payloads WHERE id IN ('grant-doomed', 'rt-doomed', 'grant-other', 'doomed-job') ORDER BY id",
    );
    assert.deepEqual(
      left.map((row) => row.id),
      ['grant-other'],
      'only the other client’s grant is left',
    );
    assert.equal((await a.call('DELETE', '/clients/doomed-job')).status, 404);
    assert.equal((await a.call('GET', '/clients/doomed-job')).status, 404);
    assert.equal(a.h.events.filter((event) => event.event === 'admin.client_deleted').length, 1);
    assert.equal(await clientRevocations(a, 'doomed-job'), 1, 'its access tokens are on the gateways’ feed');
  });

  it('disables a client: no new token, earlier tokens revoked at the gateways, secret kept for enabling it again', async () => {
    const created = await a.call('POST', '/clients', {
      body: {
        clientId: 'paused-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
      },
    });
    const secret = created.json['clientSecret'] as string;
    const config = relyingParty(a, 'paused-job', oidc.ClientSecretBasic(secret));
    const before = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    const issuedAt = Number(decodeJwt(before.access_token).iat);
    const from = a.h.events.length;

    const disabled = await a.call('PATCH', '/clients/paused-job', { body: { disabled: true } });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal(disabled.json['disabled'], true);
    assert.equal((await a.call('GET', '/clients/paused-job')).json['disabled'], true);
    await assert.rejects(
      oidc.clientCredentialsGrant(config, { scope: 'orders:read' }),
      oauthError('invalid_client'),
    );
    assert.equal(await a.h.identity.provider().Client.find('paused-job'), undefined);
    assert.equal(await clientRevocations(a, 'paused-job'), 1);
    const covered = { subject: 'paused-job', clientId: 'paused-job', issuedAt };
    assert.equal(await a.h.identity.revocations.covers(covered), true, 'the token issued before is revoked');
    const adminEvents = (): (string | undefined)[][] =>
      a
        .eventsSince(from)
        .filter((event) => event.event.startsWith('admin.'))
        .map((event) => [event.event, event.reason]);
    assert.deepEqual(adminEvents(), [['admin.client_updated', 'client_disabled']]);
    assert.ok(
      a
        .eventsSince(from)
        .some((event) => event.event === 'token.refused' && event.reason === 'invalid_client'),
      'the refused token request is recorded',
    );

    // A secret rotated while disabled does not bring the client back.
    const rotated = await a.call('POST', '/clients/paused-job/secret');
    assert.equal(rotated.status, 200);
    assert.equal(await a.h.identity.provider().Client.find('paused-job'), undefined);

    const enabled = await a.call('PATCH', '/clients/paused-job', { body: { disabled: false } });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.json['disabled'], false);
    const newSecret = rotated.json['clientSecret'] as string;
    const again = await oidc.clientCredentialsGrant(
      relyingParty(a, 'paused-job', oidc.ClientSecretBasic(newSecret)),
      {
        scope: 'orders:read',
      },
    );
    assert.equal(typeof again.access_token, 'string');
    assert.equal(await a.h.identity.revocations.covers(covered), true, 'enabling does not revive old tokens');
    assert.deepEqual(adminEvents(), [
      ['admin.client_updated', 'client_disabled'],
      ['admin.client_secret_rotated', 'admin_api'],
      ['admin.client_updated', 'client_enabled'],
    ]);
  });

  it('refuses to disable a rampart.yaml or built-in client, an unknown one, or with a bad body, changing nothing', async () => {
    await a.call('POST', '/clients', {
      body: {
        clientId: 'steady-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
      },
    });
    const from = a.h.events.length;
    for (const id of ['shop-cli', 'rampart-console']) {
      const refused = await a.call('PATCH', `/clients/${id}`, { body: { disabled: true } });
      assert.equal(refused.status, 409, id);
      assert.equal(refused.json['error'], 'read_only');
    }
    assert.equal((await a.call('PATCH', '/clients/no-such-job', { body: { disabled: true } })).status, 404);
    for (const body of [{}, { disabled: 'yes' }, { disabled: true, scopes: ['admin'] }, [], null]) {
      const refused = await a.call('PATCH', '/clients/steady-job', { body });
      assert.equal(refused.status, 400, JSON.stringify(body));
    }
    assert.equal((await a.call('GET', '/clients/steady-job')).json['disabled'], false);
    assert.ok(await a.h.identity.provider().Client.find('steady-job'));
    assert.equal(await clientRevocations(a, 'shop-cli'), 0);
    assert.equal(await clientRevocations(a, 'steady-job'), 0);
    assert.equal(a.eventsSince(from).filter((event) => event.event === 'admin.client_updated').length, 0);
  });

  it('two identical disables at once: one change, one event, one revocation', async () => {
    await a.call('POST', '/clients', {
      body: {
        clientId: 'raced-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
      },
    });
    const from = a.h.events.length;
    const answers = await Promise.all(
      [1, 2, 3].map(() => a.call('PATCH', '/clients/raced-job', { body: { disabled: true } })),
    );
    assert.deepEqual(
      answers.map((answer) => [answer.status, answer.json['disabled']]),
      [
        [200, true],
        [200, true],
        [200, true],
      ],
    );
    assert.equal(a.eventsSince(from).filter((event) => event.event === 'admin.client_updated').length, 1);
    assert.equal(await clientRevocations(a, 'raced-job'), 1);
  });

  it('creates a public client for authorization code + PKCE (no secret; loopback redirect allowed)', async () => {
    const res = await a.call('POST', '/clients', {
      body: {
        clientId: 'desktop-app',
        type: 'public',
        grants: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1:7777/callback', 'https://app.example.com/cb'],
        scopes: ['openid', 'profile'],
        requireMfa: true,
      },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json['clientSecret'], undefined);
    assert.equal((res.json['client'] as ClientJson).authMethod, 'none');
    const client = await a.h.identity.provider().Client.find('desktop-app');
    assert.ok(client);
    assert.equal(client.redirectUriAllowed('https://app.example.com/cb'), true);
    assert.equal(client.redirectUriAllowed('https://app.example.com/cb/'), false);
    assert.equal(client.metadata()['rampart_require_mfa'], true);
    assert.equal(client.metadata()['rampart_first_party'], false);
    assert.equal(client.grantTypeAllowed('client_credentials'), false);
  });

  it('creates a client with RS256 ID tokens and exact post-logout redirect URIs', async () => {
    const res = await a.call('POST', '/clients', {
      body: {
        clientId: 'legacy-rp',
        type: 'public',
        grants: ['authorization_code'],
        redirectUris: ['https://rp.example.com/cb'],
        postLogoutRedirectUris: ['https://rp.example.com/signed-out'],
        scopes: ['openid'],
        idTokenSignedResponseAlg: 'RS256',
      },
    });
    assert.equal(res.status, 201, res.text);
    const view = res.json['client'] as ClientJson & Record<string, unknown>;
    assert.equal(view['idTokenSignedResponseAlg'], 'RS256');
    assert.deepEqual(view['postLogoutRedirectUris'], ['https://rp.example.com/signed-out']);
    const client = await a.h.identity.provider().Client.find('legacy-rp');
    assert.ok(client);
    assert.equal(client.idTokenSignedResponseAlg, 'RS256');
    assert.equal(client.postLogoutRedirectUriAllowed('https://rp.example.com/signed-out'), true);
    assert.equal(client.postLogoutRedirectUriAllowed('https://rp.example.com/signed-out/'), false);
  });

  it('creates a private_key_jwt client from public keys, usable with openid-client', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const withPrivate = await a.call('POST', '/clients', {
      body: {
        clientId: 'signed-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
        jwks: { keys: [await exportJWK(privateKey)] },
      },
    });
    assert.equal(withPrivate.status, 400, 'a private key is refused');
    assert.match(String(withPrivate.json['error_description']), /jwks\.keys\[0\]\.d: is not a known field/);

    const res = await a.call('POST', '/clients', {
      body: {
        clientId: 'signed-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
        jwks: { keys: [jwk] },
      },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json['clientSecret'], undefined);
    assert.equal((res.json['client'] as ClientJson).authMethod, 'private_key_jwt');
    const row = await a.h.store.get<{ secret_hash: string | null }>(
      "SELECT secret_hash FROM oauth_clients WHERE client_id = 'signed-job'",
    );
    assert.equal(row?.secret_hash, null);
    const tokens = await oidc.clientCredentialsGrant(
      relyingParty(a, 'signed-job', oidc.PrivateKeyJwt(privateKey)),
      {
        scope: 'orders:read',
      },
    );
    assert.equal(typeof tokens.access_token, 'string');
    const rotate = await a.call('POST', '/clients/signed-job/secret');
    assert.equal(rotate.status, 409);
    assert.equal(rotate.json['error'], 'no_secret');
  });

  const refused: readonly [string, Record<string, unknown>, number, RegExp][] = [
    ['the implicit grant', { grants: ['implicit'] }, 400, /^grants\[0\]: must be one of/],
    ['the password grant', { grants: ['password'] }, 400, /^grants\[0\]: must be one of/],
    [
      'client_credentials for a public client',
      { type: 'public', grants: ['client_credentials'] },
      400,
      /public client cannot/,
    ],
    [
      'refresh_token without a code flow',
      { grants: ['client_credentials', 'refresh_token'] },
      400,
      /refresh_token needs/,
    ],
    ['a code flow without redirect URI', { grants: ['authorization_code'] }, 400, /^redirectUris: required/],
    [
      'a redirect URI without a code flow',
      { redirectUris: ['https://a.example/cb'] },
      400,
      /^redirectUris: only with/,
    ],
    [
      'a redirect URI with a fragment',
      { grants: ['authorization_code'], redirectUris: ['https://a.example/cb#x'] },
      400,
      /fragment/,
    ],
    [
      'a wildcard redirect URI',
      { grants: ['authorization_code'], redirectUris: ['https://*.example.com/cb'] },
      400,
      /wildcard/,
    ],
    [
      'http on a public host',
      { grants: ['authorization_code'], redirectUris: ['http://a.example/cb'] },
      400,
      /https/,
    ],
    [
      'http on localhost (not an IP literal)',
      { grants: ['authorization_code'], redirectUris: ['http://localhost:8080/cb'] },
      400,
      /https/,
    ],
    [
      'a custom scheme',
      { grants: ['authorization_code'], redirectUris: ['com.example.app:/cb'] },
      400,
      /https/,
    ],
    [
      'user info in a redirect URI',
      { grants: ['authorization_code'], redirectUris: ['https://user@a.example/cb'] },
      400,
      /user info/,
    ],
    [
      'a redirect URI not in normalized form',
      { grants: ['authorization_code'], redirectUris: ['https://A.example/cb'] },
      400,
      /normalized/,
    ],
    ['a relative redirect URI', { grants: ['authorization_code'], redirectUris: ['/cb'] }, 400, /absolute/],
    [
      'a post-logout redirect URI without a code flow',
      { postLogoutRedirectUris: ['https://a.example/bye'] },
      400,
      /^postLogoutRedirectUris: only with/,
    ],
    [
      'a wildcard post-logout redirect URI',
      {
        grants: ['authorization_code'],
        redirectUris: ['https://a.example/cb'],
        postLogoutRedirectUris: ['https://*.example/bye'],
      },
      400,
      /^postLogoutRedirectUris\[0\]: must not contain a wildcard/,
    ],
    [
      'an ID token algorithm not offered',
      { idTokenSignedResponseAlg: 'HS256' },
      400,
      /idTokenSignedResponseAlg/,
    ],
    ['the admin scope', { scopes: ['admin'] }, 400, /^scopes\[0\]: the admin scope/],
    ['a scope the server does not support', { scopes: ['launch:missiles'] }, 400, /scope/],
    [
      'keys for a public client',
      {
        type: 'public',
        grants: ['authorization_code'],
        redirectUris: ['https://a.example/cb'],
        jwks: { keys: [{ kty: 'EC' }] },
      },
      400,
      /^jwks: only for confidential/,
    ],
    [
      'a public resource server',
      {
        type: 'public',
        grants: ['authorization_code'],
        redirectUris: ['https://a.example/cb'],
        resourceServer: true,
      },
      400,
      /^resourceServer: only for confidential/,
    ],
    ['an id of the wrong shape', { clientId: 'Bad_Id' }, 400, /^clientId: must match pattern/],
    [
      'an id shaped like a user id',
      { clientId: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924' },
      400,
      /^clientId: looks like a user id/,
    ],
    ['an id of a rampart.yaml client', { clientId: 'shop-cli' }, 409, /exists/],
    ['the admin CLI id', { clientId: 'rampart-cli' }, 409, /exists/],
    ['the console id', { clientId: 'rampart-console' }, 409, /exists/],
    ['an unknown field', { isAdminClient: true }, 400, /^isAdminClient: is not a known field/],
    ['no scopes', { scopes: [] }, 400, /^scopes: must NOT have fewer than 1 items/],
  ];

  for (const [name, change, status, message] of refused) {
    it(`refuses ${name} (${status}), storing nothing`, async () => {
      const before = await clientCount(a);
      const body = {
        clientId: 'refused-app',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
        ...change,
      };
      const res = await a.call('POST', '/clients', { body });
      assert.equal(res.status, status, res.text);
      assert.match(String(res.json['error_description']), message);
      assert.equal(await clientCount(a), before);
      assert.equal(await a.h.identity.provider().Client.find('refused-app'), undefined);
    });
  }

  it('refuses a second client with the same id (409)', async () => {
    const body = {
      clientId: 'twice',
      type: 'confidential',
      grants: ['client_credentials'],
      scopes: ['orders:write'],
    };
    const first = await a.call('POST', '/clients', { body });
    assert.equal(first.status, 201, first.text);
    const again = await a.call('POST', '/clients', { body });
    assert.equal(again.status, 409);
    assert.equal(again.json['error'], 'client_exists');
  });

  it('lists static and API clients together by id, paginated', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res = await a.call('GET', `/clients?limit=3${next === null ? '' : `&after=${next}`}`);
      seen.push(...(res.json['items'] as ClientJson[]).map((client) => client.clientId));
      next = res.json['next'] as string | null;
    } while (next !== null);
    assert.deepEqual(seen, [...seen].sort());
    for (const id of ['billing-job', 'desktop-app', 'rampart-cli', 'shop-cli', 'signed-job', 'twice'])
      assert.ok(seen.includes(id), id);
    assert.ok(!seen.includes('doomed-job'));
  });
});

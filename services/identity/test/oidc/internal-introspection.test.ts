import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { Agent, request } from 'undici';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  serviceSpiffeId,
  verifyPeerSpiffeId,
} from '@rampart/mesh';
import { createMetrics, pseudonym } from '@rampart/sdk';
import { adminTokenCheck } from '../../src/admin/admin-token-check.ts';
import { freePort, tempDir, type TempDir, TestBrowser } from '@rampart/testing';
import { identityReadiness } from '../../src/http/readiness.ts';
import { startIdentityServers, type IdentityServers } from '../../src/http/servers.ts';
import { startIdentity, type Harness } from '../support/harness.ts';
import {
  authorization,
  CALLBACK,
  createUserWithTotp,
  exchange,
  PASSWORD,
  publicClient,
  signIn,
} from '../interaction/support.ts';

const API = 'https://127.0.0.1:8443';
const TRUST_DOMAIN = 'shop.local';
const OPAQUE = /^[A-Za-z0-9_-]{43}$/;

const IDENTITY_YAML = `
  clients:
    - id: shop-cli
      type: confidential
      grants: [client_credentials]
      scopes: [orders:read, orders:write]
    - id: shop-opaque
      type: confidential
      grants: [client_credentials]
      scopes: [orders:read, orders:write]
      accessTokenFormat: opaque
    - id: web-opaque
      type: public
      grants: [authorization_code, refresh_token]
      redirectUris: [${CALLBACK}]
      scopes: [openid, orders:read]
      accessTokenFormat: opaque
`;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * Identity's internal introspection endpoint (`/internal/introspect`) on its real mTLS listener
 * (`startIdentityServers`), with workload certificates from a real mesh CA: what the gateway asks
 * about opaque access tokens, and that nobody else can ask.
 */
describe('internal introspection for the gateway (opaque access tokens)', () => {
  let h: Harness;
  let servers: IdentityServers;
  let dir: TempDir;
  let adminPort: number;
  let asGateway: Agent;
  let asOrders: Agent;
  let asAudit: Agent;
  let cli: oidc.Configuration;

  const introspect = async (
    body: string,
    options: {
      agent?: Agent;
      path?: string;
      method?: 'GET' | 'POST';
      type?: string;
      /** Sent as a stream: no Content-Length, so the cap applies while reading. */
      chunked?: boolean;
    } = {},
  ): Promise<Answer> => {
    const response = await request(`${servers.url}${options.path ?? '/internal/introspect'}`, {
      dispatcher: options.agent ?? asGateway,
      method: options.method ?? 'POST',
      headers: { 'content-type': options.type ?? 'application/x-www-form-urlencoded' },
      ...(options.method === 'GET' ? {} : { body: options.chunked === true ? Readable.from([body]) : body }),
    });
    const text = await response.body.text();
    const json = response.headers['content-type']?.toString().startsWith('application/json') === true;
    return {
      status: response.statusCode,
      body: json ? (JSON.parse(text) as Record<string, unknown>) : { text },
    };
  };
  const form = (token: string): string => new URLSearchParams({ token }).toString();

  const confidential = (clientId: string): Promise<oidc.Configuration> =>
    oidc.discovery(
      new URL(h.issuer),
      clientId,
      undefined,
      oidc.ClientSecretBasic(h.secrets[clientId] ?? ''),
      {
        [oidc.customFetch]: h.fetch as unknown as oidc.CustomFetch,
      },
    );

  before(async () => {
    h = await startIdentity({ identityYaml: IDENTITY_YAML });
    dir = await tempDir('rampart-identity-introspection-');
    const ca = await CertificateAuthority.open(dir.path, { trustDomain: TRUST_DOMAIN });
    const bundle = [await ca.bundlePem()];
    const issue = async (spiffeId: string): Promise<{ keyPem: string; certPem: string }> => {
      const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
      const issued = await ca.issue({ csrPem, spiffeId, ipSans: ['127.0.0.1'] });
      return { keyPem, certPem: issued.certPem };
    };
    const identityCert = await issue(componentSpiffeId(TRUST_DOMAIN, 'identity'));
    adminPort = await freePort();
    servers = await startIdentityServers({
      identity: h.identity,
      metrics: createMetrics('identity'),
      health: {
        revision: () => 0,
        notReady: identityReadiness({
          keys: h.identity.keys,
          store: h.identity.store,
          stopping: () => false,
        }),
      },
      trustDomain: TRUST_DOMAIN,
      credentials: () => ({
        ...identityCert,
        caPems: bundle,
        tokenKeyPems: [],
        notAfter: new Date(Date.now() + 3_600_000),
      }),
      port: await freePort(),
      adminPort,
      adminTokenCheck: adminTokenCheck({
        identity: h.identity,
        pseudonymize: (subject) => pseudonym(Buffer.alloc(32, 7), subject),
      }),
    });
    const agentAs = async (spiffeId: string): Promise<Agent> => {
      const own = await issue(spiffeId);
      return new Agent({
        connect: {
          ca: bundle,
          cert: own.certPem,
          key: own.keyPem,
          checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(TRUST_DOMAIN, 'identity')),
        },
      });
    };
    asGateway = await agentAs(componentSpiffeId(TRUST_DOMAIN, 'gateway'));
    asOrders = await agentAs(serviceSpiffeId(TRUST_DOMAIN, 'orders'));
    asAudit = await agentAs(componentSpiffeId(TRUST_DOMAIN, 'audit'));
    cli = await confidential('shop-opaque');
  });
  after(async () => {
    await asGateway.close();
    await asOrders.close();
    await asAudit.close();
    await servers.close();
    await h.close();
    await dir.cleanup();
  });

  it('issues opaque access tokens to a client configured so, and JWTs to the others', async () => {
    const opaque = await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' });
    assert.match(opaque.access_token, OPAQUE);
    const jwt = await oidc.clientCredentialsGrant(await confidential('shop-cli'), { scope: 'orders:read' });
    assert.equal(jwt.access_token.split('.').length, 3);
  });

  it('answers the gateway with the claims of a live client-credentials token, form or JSON', async () => {
    const { access_token: token, expires_in: expiresIn } = await oidc.clientCredentialsGrant(cli, {
      scope: 'orders:read',
    });
    const answer = await introspect(form(token));
    assert.equal(answer.status, 200);
    const { exp, iat, ...rest } = answer.body;
    assert.deepEqual(rest, {
      active: true,
      iss: h.issuer,
      sub: 'client:shop-opaque',
      client_id: 'shop-opaque',
      aud: API,
      scope: 'orders:read',
      token_type: 'Bearer',
    });
    assert.equal(typeof iat, 'number');
    assert.equal(Number(exp) - Number(iat), expiresIn);
    assert.ok(!JSON.stringify(answer.body).includes(token), 'the answer never repeats the token');
    const json = await introspect(JSON.stringify({ token }), { type: 'application/json' });
    assert.deepEqual(json, answer);
  });

  it('answers with the sign-in facts, the grant and the DPoP key of user and bound tokens', async () => {
    await h.identity.accounts.createGroup('buyers');
    const user = await createUserWithTotp(h, 'olivia', { groups: ['buyers'] });
    const web = await publicClient(h, 'web-opaque');
    const auth = await authorization(web, 'openid orders:read');
    const done = await signIn(new TestBrowser(h), auth, {
      username: 'olivia',
      password: PASSWORD,
      totpSecret: user.secret,
    });
    const tokens = await exchange(web, done.url, auth);
    assert.match(tokens.access_token, OPAQUE);
    const answer = (await introspect(form(tokens.access_token))).body;
    assert.equal(answer['active'], true);
    assert.equal(answer['sub'], user.id);
    assert.equal(answer['client_id'], 'web-opaque');
    assert.deepEqual(answer['groups'], ['buyers']);
    assert.deepEqual(answer['amr'], ['pwd', 'otp', 'mfa']);
    assert.equal(typeof answer['acr'], 'string');
    assert.equal(typeof answer['auth_time'], 'number');
    assert.equal(typeof answer['gid'], 'string');

    const key = await generateKeyPair('ES256');
    const bound = await oidc.clientCredentialsGrant(
      cli,
      { scope: 'orders:read' },
      { DPoP: oidc.getDPoPHandle(cli, key) },
    );
    const boundAnswer = (await introspect(form(bound.access_token))).body;
    assert.equal(boundAnswer['token_type'], 'DPoP');
    assert.deepEqual(boundAnswer['cnf'], {
      jkt: await calculateJwkThumbprint(await exportJWK(key.publicKey)),
    });

    // The user is disabled: the token stops being active at once, and again when re-enabled.
    await h.identity.accounts.disableUser(user.id);
    assert.deepEqual((await introspect(form(tokens.access_token))).body, { active: false });
    await h.identity.accounts.enableUser(user.id);
    assert.equal((await introspect(form(tokens.access_token))).body['active'], true);

    // A refresh token is not an access token, even though it is opaque too.
    assert.match(tokens.refresh_token ?? '', OPAQUE);
    assert.deepEqual((await introspect(form(tokens.refresh_token ?? ''))).body, { active: false });

    // The grant is gone (the token row left behind, as a crash between two deletes could leave it).
    await h.store.run("DELETE FROM oidc_payloads WHERE model = 'Grant' AND id = ?", [String(answer['gid'])]);
    assert.deepEqual((await introspect(form(tokens.access_token))).body, { active: false });
  });

  it('answers { active: false } for unknown, revoked, expired, foreign-audience, orphaned tokens and JWTs', async () => {
    const fresh = async (): Promise<string> =>
      (await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' })).access_token;
    /** Rewrites the stored token's payload (as another writer of the store could have left it). */
    const tamper = async (token: string, change: Record<string, unknown>): Promise<void> => {
      const { sealing } = h.identity;
      const id = sealing.storedId('ClientCredentials', token);
      const row = await h.store.get<{ payload: string }>(
        "SELECT payload FROM oidc_payloads WHERE model = 'ClientCredentials' AND id = ?",
        [id],
      );
      assert.ok(row !== undefined, 'the opaque token is stored under its keyed hash');
      const payload = (await sealing.unseal('ClientCredentials', id, row.payload)) as object;
      await h.store.run("UPDATE oidc_payloads SET payload = ? WHERE model = 'ClientCredentials' AND id = ?", [
        await sealing.seal('ClientCredentials', id, { ...payload, ...change }),
        id,
      ]);
    };
    const revoked = await fresh();
    await oidc.tokenRevocation(cli, revoked);
    const expired = await fresh();
    await tamper(expired, { exp: Math.floor(Date.now() / 1000) - 1 });
    const foreign = await fresh();
    await tamper(foreign, { aud: 'https://elsewhere.example' });
    const orphan = await fresh();
    await tamper(orphan, { clientId: 'removed-client' });
    const jwt = (await oidc.clientCredentialsGrant(await confidential('shop-cli'), { scope: 'orders:read' }))
      .access_token;
    const cases: Record<string, string> = {
      unknown: randomBytes(32).toString('base64url'),
      revoked,
      expired,
      foreign,
      'client no longer registered': orphan,
      jwt,
      'too short': (await fresh()).slice(0, 42),
    };
    for (const [name, token] of Object.entries(cases)) {
      assert.deepEqual(await introspect(form(token)), { status: 200, body: { active: false } }, name);
    }
  });

  it('serves the gateway alone: another workload is refused, no certificate fails the handshake', async () => {
    const token = (await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' })).access_token;
    const denied = await introspect(form(token), { agent: asOrders });
    assert.deepEqual(denied, { status: 403, body: { error: 'access_denied' } });
    assert.ok(h.events.some((e) => e.event === 'request.denied' && e.reason === 'SDK_CALLER_NOT_ALLOWED'));
    const port = Number(new URL(servers.url).port);
    const handshake = await new Promise<string>((resolve) => {
      // rampart-ignore code/tls-verification-off the test connects without a client certificate to see the server refuse it; the server's own certificate does not matter here
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        socket.write('POST /internal/introspect HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n');
      });
      socket.on('data', () => {
        resolve('answered');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        resolve(error.code ?? 'error');
      });
      socket.on('close', () => {
        resolve('closed');
      });
    });
    assert.notEqual(handshake, 'answered', 'no answer without a client certificate');
  });

  it('is not reachable below the issuer mount, where the gateway forwards public traffic', async () => {
    const token = (await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' })).access_token;
    for (const path of ['/auth/internal/introspect', '/internal/introspect?x=1', '/internal/introspect/']) {
      const answer = await introspect(form(token), { path });
      assert.equal(answer.status, 404, path);
      assert.equal(answer.body['active'], undefined, path);
    }
    const viaIssuer = await h.fetch(`${h.issuer}/internal/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form(token),
    });
    assert.equal(viaIssuer.status, 404);
  });

  it('refuses malformed requests without looking anything up, and records them', async () => {
    const before = h.events.filter((e) => e.event === 'introspection.refused').length;
    const token = randomBytes(32).toString('base64url');
    const cases: [string, Answer, Promise<Answer>][] = [
      ['GET', { status: 405, body: { error: 'invalid_request' } }, introspect('', { method: 'GET' })],
      [
        'text/plain',
        { status: 415, body: { error: 'invalid_request' } },
        introspect(form(token), { type: 'text/plain' }),
      ],
      [
        'over 4 KiB',
        { status: 413, body: { error: 'invalid_request' } },
        introspect(`${form(token)}&pad=${'a'.repeat(5000)}`),
      ],
      [
        'over 4 KiB, streamed without a length',
        { status: 413, body: { error: 'invalid_request' } },
        introspect(`${form(token)}&pad=${'a'.repeat(5000)}`, { chunked: true }),
      ],
      [
        'two tokens',
        { status: 400, body: { error: 'invalid_request' } },
        introspect(`${form(token)}&${form(token)}`),
      ],
      ['no token', { status: 400, body: { error: 'invalid_request' } }, introspect('token_type_hint=x')],
      [
        'JSON without a token string',
        { status: 400, body: { error: 'invalid_request' } },
        introspect(JSON.stringify({ token: 42 }), { type: 'application/json' }),
      ],
      [
        'JSON with the token only under __proto__',
        { status: 400, body: { error: 'invalid_request' } },
        introspect('{"__proto__": {"token": "x"}}', { type: 'application/json' }),
      ],
    ];
    for (const [name, expected, answer] of cases) assert.deepEqual(await answer, expected, name);
    const refused = h.events.filter((e) => e.event === 'introspection.refused');
    assert.equal(refused.length - before, cases.length);
  });

  it('admin port: ready with its revision, and metrics named after the endpoint (other only for unknown paths)', async () => {
    const ready = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', revision: 0 });

    const discovery = await request(`${servers.url}/auth/.well-known/openid-configuration`, {
      dispatcher: asGateway,
    });
    await discovery.body.dump();
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    const routes = new Set(
      [...metrics.matchAll(/^http_requests_total\{[^}]*route="([^"]+)"/gm)].map((m) => m[1]),
    );
    assert.ok(routes.has('discovery'), [...routes].join(', '));
    assert.ok(routes.has('internal_introspection'), [...routes].join(', '));
  });

  it('serves the audit service the admin-token check, and it nothing else; nobody else gets a verdict', async () => {
    const check = async (
      agent: Agent,
      path = '/internal/admin-token',
      authorization?: string,
    ): Promise<Answer> => {
      const response = await request(`${servers.url}${path}`, {
        dispatcher: agent,
        method: 'POST',
        ...(authorization === undefined ? {} : { headers: { authorization } }),
      });
      const text = await response.body.text();
      return {
        status: response.statusCode,
        body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text },
      };
    };
    // The audit service: the admin API's verdict, never a user id.
    const missing = await check(asAudit);
    assert.equal(missing.status, 200);
    assert.deepEqual(missing.body, {
      active: false,
      status: 401,
      error: 'invalid_token',
      deny: 'missing_token',
      wwwAuthenticate: 'Bearer realm="rampart-admin"',
    });
    const { access_token: clientToken } = await oidc.clientCredentialsGrant(await confidential('shop-cli'), {
      scope: 'orders:read',
    });
    const notAdmin = await check(asAudit, '/internal/admin-token', `Bearer ${clientToken}`);
    assert.equal(notAdmin.status, 200);
    assert.equal(notAdmin.body['active'], false);
    assert.equal(notAdmin.body['deny'], 'wrong_audience');
    // Any other path, for the audit service: refused as for any peer that is not the gateway.
    for (const path of [
      '/internal/introspect',
      '/internal/revocations',
      `${new URL(h.issuer).pathname}/admin/users`,
    ]) {
      assert.equal((await check(asAudit, path)).status, 403, path);
    }
    // Another workload at the check: refused; the gateway: no such endpoint in the issuer's space.
    assert.equal((await check(asOrders)).status, 403);
    const viaGateway = await check(asGateway);
    assert.notEqual(viaGateway.status, 200);
    assert.equal(viaGateway.body['active'], undefined);
  });
});

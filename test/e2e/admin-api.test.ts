import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { Agent, request } from 'undici';
import { TestBrowser, fetchWith, startShop, type RunningShop } from '@rampart/testing';
import {
  adminAccess,
  authorization,
  CALLBACK,
  exchange,
  signIn,
  type AdminAccess,
} from '@rampart/identity/testing';

interface DemoUser {
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string;
}

interface OpenApi {
  readonly paths: Record<string, Record<string, { operationId: string }>>;
}

/** A value for each path parameter of the admin API that names nothing that exists. */
function placeholder(path: string, parameter: string): string {
  if (parameter === 'id' && path.startsWith('/clients/')) return 'no-such-client';
  if (parameter === 'id' || parameter === 'userId') return randomUUID();
  return `no-such-${parameter.toLowerCase()}`;
}

/**
 * The admin API used for incident response the way an operator would: through the gateway at
 * `https://…/auth/admin`, every operation of its OpenAPI document, and the changes that matter
 * when an account or a client is compromised.
 */
describe('the identity admin API through the gateway', () => {
  let shop: RunningShop | undefined;
  let agent: Agent | undefined;
  let issuer: string;
  let home: string;
  let admin: AdminAccess;
  let fetchVia: (url: string, init?: RequestInit) => Promise<Response>;

  before(async () => {
    const started = await startShop();
    shop = started;
    agent = new Agent({ connect: { ca: readFileSync(join(started.home, 'ca.pem'), 'utf8') } });
    fetchVia = fetchWith(agent);
    issuer = `https://127.0.0.1:${started.ports.gateway}/auth`;
    admin = await adminAccess(started);
    home = started.home;
  });
  after(async () => {
    await agent?.close();
    await shop?.stop();
  });

  async function call(
    method: string,
    path: string,
    options: { token?: string | null; body?: unknown } = {},
  ): Promise<{ status: number; json: Record<string, unknown>; allow: string | undefined }> {
    const token = options.token === undefined ? admin.token : options.token;
    const res = await request(`${issuer}/admin${path}`, {
      ...(agent === undefined ? {} : { dispatcher: agent }),
      method: method as 'GET',
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await res.body.text();
    const allow = res.headers['allow'];
    return {
      status: res.statusCode,
      json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
      allow: typeof allow === 'string' ? allow : undefined,
    };
  }

  function demoUser(name: string): DemoUser {
    const users = (JSON.parse(readFileSync(join(home, 'demo-users.json'), 'utf8')) as { users: DemoUser[] })
      .users;
    const user = users.find((u) => u.username === name);
    assert.ok(user !== undefined, name);
    return user;
  }

  async function shopWeb(): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(issuer), 'shop-web', undefined, oidc.None(), {
      [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
    });
  }

  async function userId(username: string): Promise<string> {
    const list = await call('GET', '/users?limit=100');
    assert.equal(list.status, 200);
    const found = (list.json['items'] as { id: string; username: string }[]).find(
      (u) => u.username === username,
    );
    assert.ok(found !== undefined, username);
    return found.id;
  }

  it('reaches identity with every operation of the OpenAPI document: none is refused by the gateway', async () => {
    const doc = await call('GET', '/openapi.json', { token: null });
    assert.equal(doc.status, 200);
    const { paths } = doc.json as unknown as OpenApi;
    const walked: string[] = [];
    for (const [template, operations] of Object.entries(paths)) {
      const path = template.replaceAll(/\{([A-Za-z]+)\}/g, (_all, name: string) =>
        placeholder(template, name),
      );
      for (const method of Object.keys(operations)) {
        const verb = method.toUpperCase();
        // Without a token: the answer is identity's own 401 (its routing runs first, so a method the
        // path does not have would be its 405 with an Allow, and the gateway's 405 has a problem code).
        const res = await call(verb, path, { token: null });
        walked.push(`${verb} ${template}`);
        assert.notEqual(res.status, 405, `${verb} ${template}: ${JSON.stringify(res.json)}`);
        const expected = template === '/openapi.json' ? 200 : 401;
        assert.equal(res.status, expected, `${verb} ${template}`);
      }
    }
    for (const verb of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      assert.ok(
        walked.some((op) => op.startsWith(`${verb} `)),
        `the document has a ${verb} operation`,
      );
    }
    assert.equal(walked.length, 27, walked.join('\n'));
  });

  it('ends every session of a compromised account, then disables it: its refresh token and sign-in stop working', async () => {
    const bob = demoUser('bob');
    const config = await shopWeb();
    const auth = await authorization(config, 'openid orders:read');
    const browser = new TestBrowser({ issuer, fetch: fetchVia });
    const done = await signIn(browser, auth, bob);
    const tokens = await exchange(config, done.url, auth);
    const id = await userId('bob');

    const sessions = await call('GET', `/users/${id}/sessions`);
    assert.equal(sessions.status, 200);
    assert.ok((sessions.json['items'] as unknown[]).length >= 1, 'bob has a session');
    const ended = await call('DELETE', `/users/${id}/sessions`);
    assert.equal(ended.status, 200, JSON.stringify(ended.json));
    assert.deepEqual((await call('GET', `/users/${id}/sessions`)).json['items'], []);
    await assert.rejects(
      oidc.refreshTokenGrant(config, tokens.refresh_token ?? ''),
      (error: { error?: string }) => error.error === 'invalid_grant',
    );

    const disabled = await call('PATCH', `/users/${id}`, { body: { disabled: true } });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.json));
    assert.equal(disabled.json['disabled'], true);
    const again = await authorization(config, 'openid orders:read');
    const page = await signIn(new TestBrowser({ issuer, fetch: fetchVia }), again, {
      username: bob.username,
      password: bob.password,
    });
    assert.equal(page.url.startsWith(CALLBACK), false, 'a disabled account cannot sign in');
    assert.match(page.html, /name="password"/, 'the login page again');
  });

  it('changes group membership with PUT and DELETE', async () => {
    const id = await userId('alice');
    const groups = (await call('GET', `/users/${id}`)).json['groups'] as string[];
    assert.equal((await call('POST', '/groups', { body: { name: 'incident-watch' } })).status, 201);
    assert.equal((await call('PUT', `/groups/incident-watch/members/${id}`)).status, 204);
    assert.deepEqual(
      (await call('GET', `/users/${id}`)).json['groups'],
      [...groups, 'incident-watch'].sort(),
    );
    assert.equal((await call('DELETE', `/groups/incident-watch/members/${id}`)).status, 204);
    assert.deepEqual((await call('GET', `/users/${id}`)).json['groups'], groups);
  });

  it('deletes a rogue client: its credentials stop working at once', async () => {
    const created = await call('POST', '/clients', {
      body: {
        clientId: 'rogue-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const config = await oidc.discovery(
      new URL(issuer),
      'rogue-job',
      undefined,
      oidc.ClientSecretBasic(created.json['clientSecret'] as string),
      { [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch },
    );
    await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    assert.equal((await call('DELETE', '/clients/rogue-job')).status, 204);
    assert.equal((await call('GET', '/clients/rogue-job')).status, 404);
    await assert.rejects(
      oidc.clientCredentialsGrant(config, { scope: 'orders:read' }),
      (error: { status?: number }) => error.status === 401,
      'the token endpoint no longer knows the client (401 invalid_client)',
    );
  });
});

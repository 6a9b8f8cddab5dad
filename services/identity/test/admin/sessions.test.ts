import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAdminHarness, PASSWORD, type AdminHarness } from './admin-support.ts';

const CLIENT = 'shop-web';

/**
 * A sign-in as oidc-provider records it after an authorization code flow with offline_access: a
 * Session, the Grant made through it, and a refresh token under that grant (the provider's own
 * models, persisted through its adapter). Returns the session's id and the refresh token.
 */
async function signIn(a: AdminHarness, accountId: string): Promise<{ sid: string; refreshToken: string }> {
  const provider = a.h.identity.provider();
  const client = await provider.Client.find(CLIENT);
  assert.ok(client);
  const grant = new provider.Grant({ accountId, clientId: CLIENT });
  grant.addOIDCScope('openid offline_access');
  grant.addResourceScope(a.h.identity.settings.apiAudience, 'orders:read');
  const grantId = await grant.save();
  const loginTs = Math.floor(Date.now() / 1000);
  const session = new provider.Session();
  session.loginAccount({ accountId, loginTs, amr: ['pwd', 'otp', 'mfa'], acr: 'urn:rampart:acr:mfa' });
  session.grantIdFor(CLIENT, grantId);
  session.ensureClientContainer(CLIENT);
  await session.save(3600);
  const refresh = new provider.RefreshToken({
    accountId,
    client,
    grantId,
    gty: 'authorization_code',
    scope: 'openid offline_access',
    resource: a.h.identity.settings.apiAudience,
    sessionUid: session.uid,
    sid: session.sidFor(CLIENT),
    authTime: loginTs,
    amr: ['pwd', 'otp', 'mfa'],
    acr: 'urn:rampart:acr:mfa',
    iat: loginTs,
  });
  return { sid: session.uid, refreshToken: await refresh.save() };
}

async function refresh(a: AdminHarness, refreshToken: string): Promise<{ status: number; error: unknown }> {
  const res = await a.h.fetch(`${a.h.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: CLIENT,
    }).toString(),
  });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, error: body['error'] };
}

describe('admin API: sessions (list, end one, sign out everywhere)', () => {
  let a: AdminHarness;
  let userId: string;

  before(async () => {
    a = await startAdminHarness();
    userId = (await a.h.identity.accounts.createUser({ username: 'nora', password: PASSWORD })).id;
  });
  after(async () => {
    await a.close();
  });

  it('lists sessions by their public id (never the cookie value), with amr and clients', async () => {
    const { sid } = await signIn(a, userId);
    const res = await a.call('GET', `/users/${userId}/sessions`);
    assert.equal(res.status, 200);
    const items = res.json['items'] as Record<string, unknown>[];
    const listed = items.find((item) => item['id'] === sid);
    assert.ok(listed);
    assert.deepEqual(listed['amr'], ['pwd', 'otp', 'mfa']);
    assert.deepEqual(listed['clients'], [CLIENT]);
    assert.equal(typeof listed['signedInAt'], 'string');
    const cookies = await a.h.store.all<{ id: string }>(
      "SELECT id FROM oidc_payloads WHERE model = 'Session' AND account_id = ?",
      [userId],
    );
    for (const { id } of cookies)
      assert.ok(!res.text.includes(id), 'the session cookie value never leaves identity');
  });

  it('ends one session: its refresh token stops working, another session is untouched', async () => {
    const one = await signIn(a, userId);
    const two = await signIn(a, userId);
    assert.equal((await refresh(a, one.refreshToken)).status, 200, 'the refresh token works before');
    const from = a.h.events.length;
    assert.equal((await a.call('DELETE', `/users/${userId}/sessions/${one.sid}`)).status, 204);
    assert.equal((await a.call('DELETE', `/users/${userId}/sessions/${one.sid}`)).status, 404);
    const refused = await refresh(a, one.refreshToken);
    assert.equal(refused.status, 400);
    assert.equal(refused.error, 'invalid_grant');
    assert.equal((await refresh(a, two.refreshToken)).status, 200);
    assert.deepEqual(
      a
        .eventsSince(from)
        .filter((event) => event.event.startsWith('admin.'))
        .map((event) => `${event.event}/${event.reason}`),
      ['admin.sessions_revoked/session_revoked'],
    );
  });

  it("does not end another user's session through this user", async () => {
    const other = await a.h.identity.accounts.createUser({ username: 'otto', password: PASSWORD });
    const { sid, refreshToken } = await signIn(a, other.id);
    assert.equal((await a.call('DELETE', `/users/${userId}/sessions/${sid}`)).status, 404);
    assert.equal((await refresh(a, refreshToken)).status, 200);
  });

  it('signs a user out everywhere: every session, grant and refresh token is gone', async () => {
    const tokens = [await signIn(a, userId), await signIn(a, userId)];
    const from = a.h.events.length;
    const res = await a.call('DELETE', `/users/${userId}/sessions`);
    assert.equal(res.status, 200);
    assert.ok((res.json['revoked'] as number) >= 2);
    for (const { refreshToken } of tokens)
      assert.equal((await refresh(a, refreshToken)).error, 'invalid_grant');
    const left = await a.call('GET', `/users/${userId}/sessions`);
    assert.deepEqual(left.json['items'], []);
    const rows = await a.h.store.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM oidc_payloads WHERE account_id = ?',
      [userId],
    );
    assert.equal(Number(rows?.n), 0);
    assert.deepEqual(
      a
        .eventsSince(from)
        .filter((event) => event.event.startsWith('admin.'))
        .map((event) => event.reason),
      ['all_sessions_revoked'],
    );
  });

  it('paginates sessions', async () => {
    for (let i = 0; i < 3; i += 1) await signIn(a, userId);
    const first = await a.call('GET', `/users/${userId}/sessions?limit=2`);
    assert.equal((first.json['items'] as unknown[]).length, 2);
    const second = await a.call(
      'GET',
      `/users/${userId}/sessions?limit=2&after=${String(first.json['next'])}`,
    );
    assert.equal((second.json['items'] as unknown[]).length, 1);
    assert.equal(second.json['next'], null);
  });

  it('lists everyone’s sessions with their user, by id, page by page, never an expired one', async () => {
    const maya = await a.h.identity.accounts.createUser({ username: 'maya', password: PASSWORD });
    const mine = [await signIn(a, maya.id), await signIn(a, maya.id)].map((session) => session.sid);
    const noras = await signIn(a, userId);
    const expired = await signIn(a, maya.id);
    await a.h.store.run("UPDATE oidc_payloads SET expires_at = ? WHERE model = 'Session' AND uid = ?", [
      Date.now() - 1000,
      expired.sid,
    ]);

    const seen: Record<string, unknown>[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const res = await a.call('GET', `/sessions?limit=2${next === null ? '' : `&after=${next}`}`);
      assert.equal(res.status, 200, res.text);
      seen.push(...(res.json['items'] as Record<string, unknown>[]));
      next = res.json['next'] as string | null;
      pages += 1;
    } while (next !== null && pages < 50);
    const ids = seen.map((item) => String(item['id']));
    assert.deepEqual(ids, [...ids].sort(), 'by id');
    assert.equal(new Set(ids).size, ids.length, 'no session twice across pages');
    for (const sid of mine) {
      const item = seen.find((candidate) => candidate['id'] === sid);
      assert.equal(item?.['username'], 'maya');
      assert.equal(item['userId'], maya.id);
      assert.deepEqual(item['clients'], [CLIENT]);
    }
    assert.equal(seen.find((item) => item['id'] === noras.sid)?.['username'], 'nora');
    assert.equal(ids.includes(expired.sid), false, 'an expired session is not listed');
    const live = await a.h.store.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM oidc_payloads WHERE model = 'Session' AND (expires_at IS NULL OR expires_at > ?)",
      [Date.now()],
    );
    assert.equal(seen.length, Number(live?.n), 'every live session, on some page');
    assert.equal((await a.call('GET', '/sessions?after=%E0%A4')).status, 400, 'a forged cursor is refused');
  });
});

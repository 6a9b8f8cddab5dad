import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAdminHarness, PASSWORD, type AdminHarness } from './admin-support.ts';

interface UserJson {
  readonly id: string;
  readonly username: string;
  readonly displayName: string | null;
  readonly email: string | null;
  readonly groups: string[];
  readonly roles: string[];
  readonly disabled: boolean;
  readonly mustChangePassword: boolean;
}

describe('admin API: users', () => {
  let a: AdminHarness;

  before(async () => {
    a = await startAdminHarness();
    await a.h.identity.accounts.createGroup('staff');
    await a.h.identity.accounts.createGroup('ops');
  });
  after(async () => {
    await a.close();
  });

  it('creates a user without a password: a one-time password is returned once, only its argon2id hash is stored', async () => {
    const from = a.h.events.length;
    const res = await a.call('POST', '/users', {
      body: { username: 'Carol', displayName: 'Carol C', email: 'carol@example.com', groups: ['staff'] },
    });
    assert.equal(res.status, 201, res.text);
    const user = res.json['user'] as UserJson;
    const oneTime = res.json['oneTimePassword'];
    assert.equal(typeof oneTime, 'string');
    assert.equal((oneTime as string).length, 32);
    assert.equal(user.username, 'carol');
    assert.deepEqual(user.groups, ['staff']);
    assert.equal(user.mustChangePassword, true);
    assert.equal(user.email, 'carol@example.com');

    const row = await a.h.store.get<{ password_hash: string; email_enc: string }>(
      'SELECT password_hash, email_enc FROM users WHERE id = ?',
      [user.id],
    );
    assert.match(row?.password_hash ?? '', /^\$argon2id\$/);
    assert.ok(!(row?.email_enc ?? '').includes('carol@example.com'), 'e-mail encrypted at rest');
    const login = await a.h.identity.accounts.verifyCredentials('carol', oneTime as string);
    assert.equal(login.ok, true);

    const again = await a.call('GET', `/users/${user.id}`);
    assert.equal(again.status, 200);
    assert.ok(!again.text.includes(oneTime as string), 'never shown again');
    assert.equal(again.json['oneTimePassword'], undefined);

    const events = a.eventsSince(from);
    assert.deepEqual(
      events.map((event) => [event.event, event.reason, event.subject]),
      [['admin.user_created', 'one_time_password', a.subjectOf(a.admin.id)]],
    );
    const written = JSON.stringify(events);
    assert.ok(
      !written.includes(oneTime as string) &&
        !written.includes('carol@example.com') &&
        !written.includes('carol'),
    );
  });

  it('creates a user with a chosen password (no one-time password), and refuses a weak one or a taken name', async () => {
    const res = await a.call('POST', '/users', { body: { username: 'dave', password: PASSWORD } });
    assert.equal(res.status, 201);
    assert.equal(res.json['oneTimePassword'], undefined);
    assert.equal((res.json['user'] as UserJson).mustChangePassword, false);

    const weak = await a.call('POST', '/users', { body: { username: 'erin', password: 'password123' } });
    assert.equal(weak.status, 400);
    assert.equal(weak.json['error'], 'weak_password');
    const taken = await a.call('POST', '/users', { body: { username: 'DAVE', password: PASSWORD } });
    assert.equal(taken.status, 409);
    assert.equal(taken.json['error'], 'username_taken');
    const unknownGroup = await a.call('POST', '/users', { body: { username: 'frank', groups: ['nope'] } });
    assert.equal(unknownGroup.status, 400);
    assert.equal(unknownGroup.json['error'], 'unknown_group');
    assert.equal(await a.h.identity.accounts.findByUsername('frank'), undefined);
  });

  it('lists users by username with keyset pagination', async () => {
    for (const name of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']) {
      await a.h.identity.accounts.createUser({ username: name, password: PASSWORD });
    }
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res = await a.call('GET', `/users?limit=2${next === null ? '' : `&after=${next}`}`);
      assert.equal(res.status, 200);
      const items = res.json['items'] as UserJson[];
      assert.ok(items.length <= 2);
      seen.push(...items.map((user) => user.username));
      next = res.json['next'] as string | null;
    } while (next !== null);
    assert.deepEqual(seen, [...seen].sort());
    for (const name of ['page-a', 'page-e', 'root-admin', 'carol']) assert.ok(seen.includes(name), name);
    assert.equal(new Set(seen).size, seen.length);
  });

  it('updates display name, groups, roles and disabled state; disabling signs out everywhere', async () => {
    const user = await a.h.identity.accounts.createUser({
      username: 'gina',
      password: PASSWORD,
      groups: ['staff'],
    });
    await a.h.store.run(
      "INSERT INTO oidc_payloads (model, id, payload, account_id, uid) VALUES ('Session', 'cookie-value', ?, ?, 'sid-gina')",
      [JSON.stringify({ uid: 'sid-gina', accountId: user.id }), user.id],
    );
    const from = a.h.events.length;
    const res = await a.call('PATCH', `/users/${user.id}`, {
      body: {
        displayName: 'Gina G',
        email: 'gina@example.com',
        groups: ['ops'],
        roles: ['auditor'],
        disabled: true,
      },
    });
    assert.equal(res.status, 200, res.text);
    const updated = res.json as unknown as UserJson;
    assert.equal(updated.displayName, 'Gina G');
    assert.equal(updated.email, 'gina@example.com');
    const stored = await a.h.store.get<{ email_enc: string }>('SELECT email_enc FROM users WHERE id = ?', [
      user.id,
    ]);
    assert.ok(stored !== undefined && !stored.email_enc.includes('gina@example.com'), 'encrypted at rest');
    assert.ok(!JSON.stringify(a.h.events).includes('gina@example.com'), 'never in an event');
    assert.deepEqual(updated.groups, ['ops']);
    assert.deepEqual(updated.roles, ['auditor']);
    assert.equal(updated.disabled, true);
    const sessions = await a.h.store.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM oidc_payloads WHERE account_id = ?',
      [user.id],
    );
    assert.equal(Number(sessions?.n), 0);
    assert.deepEqual(
      a.eventsSince(from).map((event) => `${event.event}/${event.reason}`),
      [
        'admin.user_updated/profile_changed',
        'admin.user_updated/groups_changed',
        'admin.user_updated/roles_changed',
        'admin.user_updated/user_disabled',
      ],
    );
    const enabled = await a.call('PATCH', `/users/${user.id}`, {
      body: { disabled: false, displayName: null, email: null },
    });
    assert.equal((enabled.json as unknown as UserJson).disabled, false);
    assert.equal((enabled.json as unknown as UserJson).displayName, null);
    assert.equal((enabled.json as unknown as UserJson).email, null);
  });

  it('refuses an invalid update as a whole: nothing changes', async () => {
    const user = await a.h.identity.accounts.createUser({
      username: 'hank',
      password: PASSWORD,
      groups: ['staff'],
    });
    for (const body of [
      { displayName: 'Hank', groups: ['staff', 'no-such-group'] },
      { displayName: '\u0000bad', roles: ['auditor'] },
      { roles: ['auditor'], email: 'not-an-email' },
      {},
    ]) {
      const res = await a.call('PATCH', `/users/${user.id}`, { body });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    const after = await a.h.identity.accounts.findById(user.id);
    assert.equal(after?.displayName, null);
    assert.deepEqual(after.groups, ['staff']);
    assert.deepEqual(after.roles, []);
  });

  it('never leaves the system without an enabled admin (409 last_admin)', async () => {
    for (const [method, body] of [
      ['PATCH', { disabled: true }],
      ['PATCH', { roles: [] }],
      ['DELETE', undefined],
    ] as const) {
      const res = await a.call(method, `/users/${a.admin.id}`, body === undefined ? {} : { body });
      assert.equal(res.status, 409, `${method} ${JSON.stringify(body)}`);
      assert.equal(res.json['error'], 'last_admin');
    }
    const still = await a.h.identity.accounts.findById(a.admin.id);
    assert.equal(still?.disabled, false);
    assert.deepEqual(still.roles, ['admin']);
  });

  it('resets a password to a one-time password shown once, and signs the user out', async () => {
    const user = await a.h.identity.accounts.createUser({ username: 'ivy', password: PASSWORD });
    const res = await a.call('POST', `/users/${user.id}/password-reset`);
    assert.equal(res.status, 200);
    const oneTime = res.json['oneTimePassword'] as string;
    assert.equal((await a.h.identity.accounts.verifyCredentials('ivy', PASSWORD)).ok, false);
    assert.equal((await a.h.identity.accounts.verifyCredentials('ivy', oneTime)).ok, true);
    assert.equal((await a.h.identity.accounts.findById(user.id))?.mustChangePassword, true);
    assert.equal(a.h.events.at(-1)?.event, 'admin.password_reset');
    assert.ok(!JSON.stringify(a.h.events).includes(oneTime));
    assert.equal((await a.call('POST', `/users/${user.id}/password-reset`, { body: {} })).status, 200);
  });

  it('deletes a user, with its sessions and grants; then 404', async () => {
    const user = await a.h.identity.accounts.createUser({ username: 'jack', password: PASSWORD });
    await a.h.store.run(
      "INSERT INTO oidc_payloads (model, id, payload, account_id) VALUES ('Grant', 'grant-jack', '{}', ?)",
      [user.id],
    );
    await a.h.store.run(
      "INSERT INTO oidc_payloads (model, id, payload, grant_id) VALUES ('RefreshToken', 'rt-jack', '{}', 'grant-jack')",
    );
    const res = await a.call('DELETE', `/users/${user.id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(await a.h.identity.accounts.findById(user.id), undefined);
    const left = await a.h.store.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM oidc_payloads WHERE id IN ('grant-jack', 'rt-jack')",
    );
    assert.equal(Number(left?.n), 0);
    assert.equal(a.h.events.at(-1)?.event, 'admin.user_deleted');
    assert.equal((await a.call('DELETE', `/users/${user.id}`)).status, 404);
    assert.equal((await a.call('GET', `/users/${user.id}`)).status, 404);
    assert.equal((await a.call('GET', '/users/not-a-uuid')).status, 404);
  });
});

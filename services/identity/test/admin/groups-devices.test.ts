import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAdminHarness, PASSWORD, type AdminHarness } from './admin-support.ts';

describe('admin API: groups and members', () => {
  let a: AdminHarness;

  before(async () => {
    a = await startAdminHarness();
  });
  after(async () => {
    await a.close();
  });

  it('creates, lists (paginated), and deletes groups; each change is admin.group_changed', async () => {
    const from = a.h.events.length;
    for (const name of ['billing', 'auditors', 'devs']) {
      const res = await a.call('POST', '/groups', { body: { name, description: `The ${name}` } });
      assert.equal(res.status, 201);
      assert.equal(res.json['name'], name);
      assert.equal(res.json['members'], 0);
    }
    const duplicate = await a.call('POST', '/groups', { body: { name: 'devs' } });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.json['error'], 'group_exists');
    assert.equal((await a.call('POST', '/groups', { body: { name: 'Bad Name' } })).status, 400);

    const first = await a.call('GET', '/groups?limit=2');
    assert.deepEqual(
      (first.json['items'] as { name: string }[]).map((group) => group.name),
      ['auditors', 'billing'],
    );
    const second = await a.call('GET', `/groups?limit=2&after=${String(first.json['next'])}`);
    assert.deepEqual(
      (second.json['items'] as { name: string }[]).map((group) => group.name),
      ['devs'],
    );
    assert.equal(second.json['next'], null);

    assert.equal((await a.call('DELETE', '/groups/billing')).status, 204);
    assert.equal((await a.call('DELETE', '/groups/billing')).status, 404);
    assert.deepEqual(
      a.eventsSince(from).map((event) => `${event.event}/${event.reason}`),
      [...Array<string>(3).fill('admin.group_changed/group_created'), 'admin.group_changed/group_deleted'],
    );
  });

  it('adds and removes members (idempotent add; 404 for unknown user, group or membership)', async () => {
    const user = await a.h.identity.accounts.createUser({ username: 'kim', password: PASSWORD });
    assert.equal((await a.call('PUT', `/groups/devs/members/${user.id}`)).status, 204);
    assert.equal((await a.call('PUT', `/groups/devs/members/${user.id}`)).status, 204);
    assert.deepEqual((await a.h.identity.accounts.findById(user.id))?.groups, ['devs']);
    const listed = await a.call('GET', '/groups');
    assert.equal(
      (listed.json['items'] as { name: string; members: number }[]).find((g) => g.name === 'devs')?.members,
      1,
    );
    assert.equal((await a.call('PUT', `/groups/nope/members/${user.id}`)).status, 404);
    assert.equal(
      (await a.call('PUT', '/groups/devs/members/00000000-0000-4000-8000-000000000000')).status,
      404,
    );
    assert.equal((await a.call('DELETE', `/groups/devs/members/${user.id}`)).status, 204);
    assert.equal((await a.call('DELETE', `/groups/devs/members/${user.id}`)).status, 404);
    assert.deepEqual((await a.h.identity.accounts.findById(user.id))?.groups, []);
    const reasons = a.h.events
      .filter((event) => event.event === 'admin.group_changed')
      .map((event) => event.reason);
    assert.equal(
      reasons.filter((reason) => reason === 'member_added').length,
      1,
      'an add that changes nothing is not an event',
    );
    assert.equal(reasons.filter((reason) => reason === 'member_removed').length, 1);
  });
});

describe('admin API: devices (authenticators)', () => {
  let a: AdminHarness;
  let userId: string;

  before(async () => {
    a = await startAdminHarness();
    const user = await a.h.identity.accounts.createUser({ username: 'lena', password: PASSWORD });
    userId = user.id;
    // A confirmed TOTP factor with recovery codes, as enrolment leaves it.
    await a.h.identity.totp.begin(userId, { issuer: 'Rampart', label: 'lena' });
    await a.h.store.run('UPDATE totp_factors SET confirmed = 1 WHERE user_id = ?', [userId]);
    await a.h.identity.totp.regenerateRecoveryCodes(userId);
    // A registered passkey (the registration ceremony itself needs a browser; tested elsewhere).
    for (const [credentialId, name] of [
      ['cred-one', 'Laptop'],
      ['cred-two', 'Phone'],
    ] as const) {
      await a.h.store.run(
        `INSERT INTO passkeys (credential_id, user_id, public_key, counter, transports, name, backed_up, created_at)
         VALUES (?, ?, ?, 0, '["internal"]', ?, 1, ?)`,
        [credentialId, userId, new Uint8Array([1, 2, 3]), name, Date.now()],
      );
    }
  });
  after(async () => {
    await a.close();
  });

  it("lists a user's TOTP status and passkeys, without any secret", async () => {
    const res = await a.call('GET', `/users/${userId}/devices`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json['totp'], { enabled: true, recoveryCodesLeft: 10 });
    const passkeys = res.json['passkeys'] as Record<string, unknown>[];
    assert.deepEqual(
      passkeys.map((passkey) => [passkey['id'], passkey['name'], passkey['backedUp']]),
      [
        ['cred-one', 'Laptop', true],
        ['cred-two', 'Phone', true],
      ],
    );
    assert.ok(!res.text.includes('secret') && !res.text.includes('publicKey'));
  });

  it('removes one passkey and the TOTP factor, each audited as admin.mfa_removed', async () => {
    const from = a.h.events.length;
    assert.equal((await a.call('DELETE', `/users/${userId}/devices/passkeys/cred-one`)).status, 204);
    assert.equal((await a.call('DELETE', `/users/${userId}/devices/passkeys/cred-one`)).status, 404);
    assert.equal((await a.call('DELETE', `/users/${userId}/devices/totp`)).status, 204);
    assert.equal((await a.call('DELETE', `/users/${userId}/devices/totp`)).status, 404);
    const res = await a.call('GET', `/users/${userId}/devices`);
    assert.deepEqual(res.json['totp'], { enabled: false, recoveryCodesLeft: 0 });
    assert.deepEqual(
      (res.json['passkeys'] as { id: string }[]).map((passkey) => passkey.id),
      ['cred-two'],
    );
    const codes = await a.h.store.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ?',
      [userId],
    );
    assert.equal(Number(codes?.n), 0);
    assert.deepEqual(
      a
        .eventsSince(from)
        .map(
          (event) => `${event.event}/${event.reason}/${String(event.subject === a.subjectOf(a.admin.id))}`,
        ),
      ['admin.mfa_removed/passkey_removed/true', 'admin.mfa_removed/totp_removed/true'],
    );
  });

  it("does not remove another user's passkey through this user", async () => {
    const other = await a.h.identity.accounts.createUser({ username: 'mona', password: PASSWORD });
    assert.equal((await a.call('DELETE', `/users/${other.id}/devices/passkeys/cred-two`)).status, 404);
    assert.equal((await a.h.identity.passkeys.list(userId)).length, 1);
  });
});

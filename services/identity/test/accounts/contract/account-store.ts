import assert from 'node:assert/strict';
import { hash } from '@node-rs/argon2';
import { after, before, describe, it } from 'node:test';
import {
  AccountError,
  AccountStore,
  argon2Hasher,
  Passkeys,
  TotpFactors,
  type AccountErrorCode,
  type PasswordHasher,
} from '../../../src/accounts/index.ts';
import { strongPassword, type AccountsWorld, type StoreEngine } from '../fixtures.ts';

/** Rejects with an AccountError carrying `code`. */
async function rejectsWith(promise: Promise<unknown>, code: AccountErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AccountError, `expected an AccountError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

/** argon2 with every call counted, to prove what a login costs. */
export function countingHasher(): PasswordHasher & { verifies: number; hashes: number } {
  const counter = {
    verifies: 0,
    hashes: 0,
    hash(password: string) {
      counter.hashes += 1;
      return argon2Hasher.hash(password);
    },
    verify(stored: string, password: string) {
      counter.verifies += 1;
      return argon2Hasher.verify(stored, password);
    },
    needsRehash: (stored: string) => argon2Hasher.needsRehash(stored),
  };
  return counter;
}

export function accountStoreContract(engine: StoreEngine): void {
  describe('AccountStore', () => {
    let world: AccountsWorld;
    let accounts: AccountStore;
    let hasher: ReturnType<typeof countingHasher>;
    before(async () => {
      world = await engine.open();
      hasher = countingHasher();
      accounts = new AccountStore({ store: world.store, cipher: world.cipher, hasher });
    });
    after(() => world.dispose());

    it('creates a user with a normalized username and never returns the hash', async () => {
      const password = strongPassword();
      const user = await accounts.createUser({
        username: 'Ａlice',
        password,
        displayName: 'Alice Liddell',
        email: 'alice@example.com',
        roles: ['admin'],
      });
      assert.equal(user.username, 'alice');
      assert.deepEqual(user.roles, ['admin']);
      assert.deepEqual(user.mfa, { totp: false, passkeys: 0 });
      assert.equal(user.disabled, false);
      assert.ok(!('passwordHash' in user) && !JSON.stringify(user).includes('argon2'));
      assert.deepEqual(await accounts.findByUsername('ALICE'), user);
      assert.deepEqual(await accounts.findById(user.id), user);
      const row = await world.store.get<{ password_hash: string; email_enc: string }>(
        'SELECT password_hash, email_enc FROM users WHERE id = ?',
        [user.id],
      );
      assert.ok(row !== undefined);
      assert.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.ok(row.email_enc.startsWith('rf1.'), 'the e-mail is encrypted at rest');
      assert.ok(!row.email_enc.includes('alice@'));
    });

    it('refuses a taken username, whatever its case or width, also when two creations race', async () => {
      await accounts.createUser({ username: 'bob' });
      await rejectsWith(accounts.createUser({ username: 'BOB' }), 'username_taken');
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => accounts.createUser({ username: 'carol' })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const result of results)
        if (result.status === 'rejected')
          assert.equal((result.reason as AccountError).code, 'username_taken');
    });

    it('refuses malformed input with a typed error', async () => {
      for (const username of ['', '.dot', 'white space', 'ünïcode', 'a'.repeat(129), 'semi;colon'])
        await rejectsWith(accounts.createUser({ username }), 'invalid_username');
      await rejectsWith(accounts.createUser({ username: 'erin', email: 'not-an-address' }), 'invalid_email');
      await rejectsWith(
        accounts.createUser({ username: 'erin', displayName: 'bell\u0007' }),
        'invalid_display_name',
      );
      await rejectsWith(accounts.createUser({ username: 'erin', roles: ['Admin!'] }), 'invalid_role');
      await rejectsWith(
        accounts.createUser({ username: 'erin', groups: ['no such group'] }),
        'invalid_group',
      );
      await rejectsWith(accounts.createUser({ username: 'erin', groups: ['ghosts'] }), 'unknown_group');
      assert.equal(
        await accounts.findByUsername('erin'),
        undefined,
        'a refused creation leaves nothing behind',
      );
    });

    it('checks the password policy before hashing', async () => {
      const before = hasher.hashes;
      await assert.rejects(
        accounts.createUser({ username: 'frank', password: 'short' }),
        (error: unknown) => {
          assert.ok(error instanceof AccountError);
          assert.equal(error.code, 'weak_password');
          assert.equal(error.policy?.reason, 'too_short');
          return true;
        },
      );
      await rejectsWith(
        accounts.createUser({ username: 'frank', password: 'my name is frank!' }),
        'weak_password',
      );
      assert.equal(hasher.hashes, before);
    });

    it('lists users a page at a time (keyset pagination)', async () => {
      for (const name of ['p1', 'p2', 'p3', 'p4', 'p5'])
        await accounts.createUser({ username: `page.${name}` });
      const names: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<AccountStore['listUsers']>> = await accounts.listUsers({
          limit: 2,
          after,
        });
        names.push(...page.users.map((u) => u.username));
        after = page.next;
        pages += 1;
      } while (after !== null);
      assert.deepEqual(
        names.filter((n) => n.startsWith('page.')),
        ['page.p1', 'page.p2', 'page.p3', 'page.p4', 'page.p5'],
      );
      assert.equal(new Set(names).size, names.length);
      assert.ok(pages >= 3);
      await assert.rejects(accounts.listUsers({ limit: 0 }), TypeError);
      await assert.rejects(accounts.listUsers({ limit: 501 }), TypeError);
    });

    it('verifies credentials: ok, bad password, unknown user, disabled only with the right password', async () => {
      const password = strongPassword();
      const user = await accounts.createUser({ username: 'grace', password });
      const ok = await accounts.verifyCredentials('Grace', password);
      assert.ok(ok.ok);
      assert.equal(ok.user.id, user.id);
      assert.deepEqual(await accounts.verifyCredentials('grace', `${password}x`), {
        ok: false,
        reason: 'bad_password',
      });
      assert.deepEqual(await accounts.verifyCredentials('nobody', password), {
        ok: false,
        reason: 'unknown_user',
      });
      assert.deepEqual(await accounts.verifyCredentials('not a valid name', password), {
        ok: false,
        reason: 'unknown_user',
      });
      await accounts.disableUser(user.id);
      assert.deepEqual(await accounts.verifyCredentials('grace', password), {
        ok: false,
        reason: 'disabled',
      });
      assert.deepEqual(await accounts.verifyCredentials('grace', 'wrong password!!'), {
        ok: false,
        reason: 'bad_password',
      });
      await accounts.enableUser(user.id);
      assert.ok((await accounts.verifyCredentials('grace', password)).ok);
      await rejectsWith(accounts.disableUser('no-such-id'), 'unknown_user');
    });

    it('costs exactly one argon2 verification on every login path (no enumeration by timing)', async () => {
      const password = strongPassword();
      await accounts.createUser({ username: 'heidi', password });
      await accounts.createUser({ username: 'ivan' }); // passkey-only: no password
      const cases: [string, string, string][] = [
        ['heidi', password, 'ok'],
        ['heidi', 'wrong password!!', 'bad_password'],
        ['nobody-at-all', password, 'unknown_user'],
        ['ivan', password, 'bad_password'],
        ['', password, 'unknown_user'],
      ];
      for (const [username, attempt, expected] of cases) {
        const verifies = hasher.verifies;
        const result = await accounts.verifyCredentials(username, attempt);
        assert.equal(result.ok ? 'ok' : result.reason, expected);
        assert.equal(hasher.verifies - verifies, 1, `${username || '(empty)'}: one verification`);
      }
    });

    it('replaces a weaker hash at the next successful login', async () => {
      const password = strongPassword();
      const user = await accounts.createUser({ username: 'judy' });
      const weak = await hash(password, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
      await world.store.run('UPDATE users SET password_hash = ? WHERE id = ?', [weak, user.id]);
      assert.ok((await accounts.verifyCredentials('judy', password)).ok);
      const row = await world.store.get<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE id = ?',
        [user.id],
      );
      assert.notEqual(row?.password_hash, weak);
      assert.match(row?.password_hash ?? '', /m=19456,t=2,p=1/);
      assert.ok((await accounts.verifyCredentials('judy', password)).ok);
    });

    it('sets a new password under the policy and clears must-change', async () => {
      const user = await accounts.createUser({ username: 'ken', mustChangePassword: true });
      assert.equal(user.mustChangePassword, true);
      await rejectsWith(accounts.setPassword(user.id, 'kenkenkenken1'), 'weak_password');
      const password = strongPassword();
      await accounts.setPassword(user.id, password);
      const login = await accounts.verifyCredentials('ken', password);
      assert.ok(login.ok);
      assert.equal(login.user.mustChangePassword, false);
      await accounts.setPassword(user.id, strongPassword(), { mustChange: true });
      assert.equal((await accounts.findById(user.id))?.mustChangePassword, true);
      await rejectsWith(accounts.setPassword('no-such-id', strongPassword()), 'unknown_user');
    });

    it('updates the profile, encrypting a new e-mail and clearing fields with null', async () => {
      const user = await accounts.createUser({
        username: 'kim',
        displayName: 'Kim',
        email: 'kim@example.com',
      });
      const changed = await accounts.updateProfile(user.id, { email: 'kim@example.org' });
      assert.equal(changed.email, 'kim@example.org');
      assert.equal(changed.displayName, 'Kim');
      const row = await world.store.get<{ email_enc: string }>('SELECT email_enc FROM users WHERE id = ?', [
        user.id,
      ]);
      assert.ok(row?.email_enc.startsWith('rf1.') === true && !row.email_enc.includes('kim@'));
      const cleared = await accounts.updateProfile(user.id, { displayName: null, email: null });
      assert.deepEqual([cleared.displayName, cleared.email], [null, null]);
      await rejectsWith(accounts.updateProfile(user.id, { email: 'nope' }), 'invalid_email');
      await rejectsWith(accounts.updateProfile(user.id, { displayName: '' }), 'invalid_display_name');
      await rejectsWith(accounts.updateProfile('no-such-id', { displayName: 'X' }), 'unknown_user');
    });

    it('manages groups and memberships', async () => {
      const user = await accounts.createUser({ username: 'leo' });
      const group = await accounts.createGroup('engineering', 'Builds things');
      assert.equal(group.members, 0);
      await rejectsWith(accounts.createGroup('engineering'), 'group_exists');
      await rejectsWith(accounts.createGroup('Bad Name'), 'invalid_group');
      await accounts.createGroup('support');
      await accounts.addToGroup(user.id, 'support');
      await accounts.addToGroup(user.id, 'engineering');
      await accounts.addToGroup(user.id, 'engineering');
      assert.deepEqual(await accounts.groupsOf(user.id), ['engineering', 'support']);
      await rejectsWith(accounts.addToGroup(user.id, 'ghosts'), 'unknown_group');
      await rejectsWith(accounts.addToGroup('no-such-id', 'support'), 'unknown_user');
      const created = await accounts.createUser({ username: 'mia', groups: ['support', 'support'] });
      assert.deepEqual(created.groups, ['support']);
      const listed = await accounts.listGroups();
      assert.deepEqual(
        listed.filter((g) => ['engineering', 'support'].includes(g.name)).map((g) => [g.name, g.members]),
        [
          ['engineering', 1],
          ['support', 2],
        ],
      );
      assert.equal(await accounts.removeFromGroup(user.id, 'support'), true);
      assert.equal(await accounts.removeFromGroup(user.id, 'support'), false);
      assert.equal(await accounts.deleteGroup('engineering'), true);
      assert.equal(await accounts.deleteGroup('engineering'), false);
      assert.deepEqual((await accounts.findById(user.id))?.groups, []);
    });

    it('grants and revokes roles', async () => {
      const user = await accounts.createUser({ username: 'nina' });
      await accounts.grantRole(user.id, 'admin');
      await accounts.grantRole(user.id, 'admin');
      await accounts.grantRole(user.id, 'billing:read');
      assert.deepEqual(await accounts.rolesOf(user.id), ['admin', 'billing:read']);
      await rejectsWith(accounts.grantRole(user.id, 'ADMIN'), 'invalid_role');
      await rejectsWith(accounts.grantRole('no-such-id', 'admin'), 'unknown_user');
      assert.equal(await accounts.revokeRole(user.id, 'admin'), true);
      assert.equal(await accounts.revokeRole(user.id, 'admin'), false);
      assert.deepEqual((await accounts.findById(user.id))?.roles, ['billing:read']);
    });

    it('deletes a user with everything that belongs to it, in one transaction', async () => {
      const user = await accounts.createUser({ username: 'oscar', roles: ['admin'], groups: ['support'] });
      const totp = new TotpFactors({ store: world.store, cipher: world.cipher });
      await totp.begin(user.id, { issuer: 'Rampart', label: 'oscar' });
      await world.store.run('UPDATE totp_factors SET confirmed = 1 WHERE user_id = ?', [user.id]);
      await totp.regenerateRecoveryCodes(user.id);
      const passkeys = new Passkeys({
        store: world.store,
        rpId: 'localhost',
        rpName: 'T',
        origin: 'https://localhost',
      });
      await passkeys.registrationOptions(user);
      await world.store.run(
        `INSERT INTO passkeys (credential_id, user_id, public_key, name, created_at) VALUES (?, ?, ?, 'k', 0)`,
        ['cred-oscar', user.id, new Uint8Array([1])],
      );
      assert.deepEqual((await accounts.findById(user.id))?.mfa, { totp: true, passkeys: 1 });
      assert.equal(await accounts.deleteUser(user.id), true);
      for (const table of [
        'users',
        'user_groups',
        'user_roles',
        'totp_factors',
        'recovery_codes',
        'passkeys',
        'webauthn_challenges',
      ]) {
        const column = table === 'users' ? 'id' : 'user_id';
        const row = await world.store.get<{ n: number }>(
          `SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`,
          [user.id],
        );
        assert.equal(row?.n, 0, table);
      }
      assert.equal(await accounts.deleteUser(user.id), false);
    });
  });
}

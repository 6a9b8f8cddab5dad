// The first-admin bootstrap as Kubernetes gives it: a file that stays readable at every start (a
// Secret, which identity cannot delete) and carries the password's argon2id hash only. Applied
// once, by its digest: ignored at every later start, and never re-creating an admin deleted since.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BootstrapFile } from '@rampart/config';
import { describeIfAvailable, requireService } from '@rampart/testing';
import { hashPassword } from '../src/accounts/index.ts';
import { applyBootstrap } from '../src/bootstrap.ts';
import { startIdentity, type Harness } from './support/harness.ts';

// rampart-ignore secrets/generic-secret the one-time password of a throwaway test installation
const PASSWORD = 'Kq3v-one-time-8xZtW2pLm0aB5nR7cYd';

function bootstrapSuite(engine: 'embedded' | 'postgres'): void {
  let h: Harness;
  let dir: string;
  let file: string;

  before(async () => {
    h = await startIdentity({ engine });
    dir = mkdtempSync(join(tmpdir(), 'rampart-bootstrap-'));
    file = join(dir, 'bootstrap.json');
    const bootstrap: BootstrapFile = {
      admin: { username: 'root-admin', passwordHash: await hashPassword(PASSWORD) },
      demoUsers: [],
    };
    writeFileSync(file, JSON.stringify(bootstrap), { mode: 0o440 });
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A start reading the Secret: a copy of the same bytes each time, as the kubelet keeps the file
   * in place (here, off a read-only mount, identity deletes what it reads).
   */
  const start = (): ReturnType<typeof applyBootstrap> => {
    const copy = join(dir, 'start.json');
    writeFileSync(copy, readFileSync(file), { mode: 0o440 });
    return applyBootstrap(h.identity, copy);
  };

  it('creates the first admin from the hash: the printed password signs in, and must be changed', async () => {
    assert.deepEqual(await start(), { admin: true, demoUsers: 0, alreadyApplied: false });
    const admin = await h.identity.accounts.findByUsername('root-admin');
    assert.ok(admin !== undefined);
    assert.deepEqual(admin.roles, ['admin']);
    assert.equal(admin.mustChangePassword, true);
    const login = await h.identity.accounts.verifyCredentials('root-admin', PASSWORD);
    assert.equal(login.ok, true);
    assert.equal((await h.identity.accounts.verifyCredentials('root-admin', `${PASSWORD}x`)).ok, false);
  });

  it('ignores the same file at the next start', async () => {
    assert.deepEqual(await start(), { admin: false, demoUsers: 0, alreadyApplied: true });
  });

  it('never re-creates the admin once deleted, though no admin is left', async () => {
    const admin = await h.identity.accounts.findByUsername('root-admin');
    assert.ok(admin !== undefined);
    assert.equal(await h.identity.accounts.deleteUser(admin.id), true);
    assert.deepEqual(await start(), { admin: false, demoUsers: 0, alreadyApplied: true });
    assert.equal(await h.identity.accounts.findByUsername('root-admin'), undefined);
  });

  it('refuses a hash that is not argon2id', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ admin: { username: 'other-admin', passwordHash: 'sha256:abcd' }, demoUsers: [] }),
    );
    await assert.rejects(applyBootstrap(h.identity, bad), { code: 'weak_password' });
    assert.equal(await h.identity.accounts.findByUsername('other-admin'), undefined);
  });
}

describe('bootstrap from a file that stays (embedded store)', () => {
  bootstrapSuite('embedded');
});

describeIfAvailable('bootstrap from a file that stays (PostgreSQL)', await requireService('postgres'), () => {
  bootstrapSuite('postgres');
});

describe('bootstrap under rampart up: the one-time password in a file identity deletes', () => {
  let h: Harness;
  before(async () => {
    h = await startIdentity();
  });
  after(async () => {
    await h.close();
  });

  it('creates the admin, deletes the file, and a rewritten identical file is then ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-bootstrap-up-'));
    try {
      const file = join(dir, 'bootstrap.json');
      const text = JSON.stringify({ admin: { username: 'admin', password: PASSWORD }, demoUsers: [] });
      writeFileSync(file, text, { mode: 0o600 });
      assert.equal((await applyBootstrap(h.identity, file)).admin, true);
      assert.equal(existsSync(file), false, 'the one-time password does not stay on disk');
      writeFileSync(file, text, { mode: 0o600 });
      assert.equal((await applyBootstrap(h.identity, file)).alreadyApplied, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

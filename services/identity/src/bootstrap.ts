import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { isUniqueViolation } from '@rampart/sdk';
import type { BootstrapFile } from '@rampart/config';
import { AccountError } from './accounts/index.ts';
import type { IdentityContext } from './app.ts';

/** What the bootstrap created. */
export interface BootstrapOutcome {
  readonly admin: boolean;
  readonly demoUsers: number;
  /** The file had been applied at an earlier start: nothing was looked at or created. */
  readonly alreadyApplied: boolean;
}

/**
 * Applies a bootstrap file once: creates the first admin (role `admin`, must change the one-time
 * password at first sign-in) when no admin exists yet, and, with `demo: true`, the demo users that
 * are missing, with a confirmed TOTP factor. Existing accounts are never changed.
 *
 * Once applied, the file's SHA-256 is recorded in the store (`bootstraps_applied`), and a file with
 * that digest is ignored at every later start: an account deleted since is never re-created from
 * it. That makes it safe for the file to stay where identity reads it — a Kubernetes Secret, which
 * identity cannot delete (its mount is read-only: the deletion is skipped there) and which carries
 * the admin's password as an argon2id hash only. Under `rampart up` the file is deleted, as it holds
 * the one-time password itself.
 *
 * @example
 * const { admin } = await applyBootstrap(identity, '/path/.rampart/identity/bootstrap.json');
 */
export async function applyBootstrap(identity: IdentityContext, file: string): Promise<BootstrapOutcome> {
  const text = readFileSync(file, 'utf8');
  removeIfWritable(file);
  const digest = `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
  const store = identity.store;
  if ((await store.get('SELECT digest FROM bootstraps_applied WHERE digest = ?', [digest])) !== undefined) {
    return { admin: false, demoUsers: 0, alreadyApplied: true };
  }
  const bootstrap = JSON.parse(text) as BootstrapFile;
  const { accounts, totp } = identity;
  let admin = false;
  const admins = await store.get<{ n: number | string }>(
    "SELECT COUNT(*) AS n FROM user_roles WHERE role = 'admin'",
  );
  if (
    Number(admins?.n ?? 0) === 0 &&
    (await accounts.findByUsername(bootstrap.admin.username)) === undefined
  ) {
    admin = await createdUnlessTaken(
      accounts.createUser({
        username: bootstrap.admin.username,
        ...('passwordHash' in bootstrap.admin
          ? { passwordHash: bootstrap.admin.passwordHash }
          : { password: bootstrap.admin.password }),
        displayName: 'Administrator',
        roles: ['admin'],
        mustChangePassword: true,
      }),
    );
  }
  let demoUsers = 0;
  for (const demo of bootstrap.demoUsers) {
    if ((await accounts.findByUsername(demo.username)) !== undefined) continue;
    for (const group of demo.groups) {
      if (!(await accounts.listGroups()).some((existing) => existing.name === group)) {
        await accounts.createGroup(group);
      }
    }
    const user = await accounts.createUser({
      username: demo.username,
      password: demo.password,
      displayName: demo.username,
      groups: demo.groups,
    });
    await totp.importConfirmed(user.id, demo.totpSecret);
    demoUsers += 1;
  }
  try {
    await store.run('INSERT INTO bootstraps_applied (digest, applied_at) VALUES (?, ?)', [
      digest,
      Date.now(),
    ]);
  } catch (error) {
    // Another replica applied the same file at the same moment: recorded once is enough.
    if (!isUniqueViolation(error)) throw error;
  }
  return { admin, demoUsers, alreadyApplied: false };
}

/** Creates the account, or reports false when a replica starting beside this one created it first. */
async function createdUnlessTaken(creating: Promise<unknown>): Promise<boolean> {
  try {
    await creating;
    return true;
  } catch (error) {
    if (error instanceof AccountError && error.code === 'username_taken') return false;
    throw error;
  }
}

/** Deletes the file, except from a read-only file system (a Kubernetes Secret's mount). */
function removeIfWritable(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EROFS') throw error;
  }
}

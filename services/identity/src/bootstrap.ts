import { readFileSync, rmSync } from 'node:fs';
import type { IdentityContext } from './app.ts';
import type { BootstrapFile } from '@rampart/config';

/** What the bootstrap created. */
export interface BootstrapOutcome {
  readonly admin: boolean;
  readonly demoUsers: number;
}

/**
 * Applies the file `rampart up` wrote for this start, then deletes it: creates the first admin
 * (role `admin`, must change the one-time password at first sign-in) when no admin exists yet,
 * and, with `demo: true`, the demo users that are missing, with a confirmed TOTP factor. Existing
 * accounts are never changed, so a restart or a second replica is harmless.
 *
 * @example
 * const { admin } = await applyBootstrap(identity, '/path/.rampart/identity/bootstrap.json');
 */
export async function applyBootstrap(identity: IdentityContext, file: string): Promise<BootstrapOutcome> {
  const bootstrap = JSON.parse(readFileSync(file, 'utf8')) as BootstrapFile;
  rmSync(file, { force: true });
  const { accounts, totp } = identity;
  let admin = false;
  const admins = await identity.store.get<{ n: number | string }>(
    "SELECT COUNT(*) AS n FROM user_roles WHERE role = 'admin'",
  );
  if (
    Number(admins?.n ?? 0) === 0 &&
    (await accounts.findByUsername(bootstrap.admin.username)) === undefined
  ) {
    await accounts.createUser({
      username: bootstrap.admin.username,
      password: bootstrap.admin.password,
      displayName: 'Administrator',
      roles: ['admin'],
      mustChangePassword: true,
    });
    admin = true;
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
  return { admin, demoUsers };
}

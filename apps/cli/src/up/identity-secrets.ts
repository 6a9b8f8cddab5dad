import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FIRST_ADMIN,
  generateAdminPassword,
  generateClientSecret,
  generateDemoUser,
  hashClientSecret,
  resolveSecret,
  type BootstrapFile,
  type DemoUser,
  type LaunchSecretValues,
  type RampartConfig,
} from '@rampart/config';
import { writeOwnedFile } from './owned-files.ts';
import type { RunAs } from './privileges.ts';

export interface IdentitySecretsPaths {
  /** `.rampart/` */
  readonly root: string;
  /** Identity's own state directory, where the bootstrap file goes. */
  readonly identityDir: string;
}

/** The demo deployment's users, both in `customers`, both with TOTP. */
const DEMO_USERS = [
  { username: 'alice', groups: ['customers'] },
  { username: 'bob', groups: ['customers'] },
] as const;

/**
 * Prepares what identity needs at start and writes what a person needs to know, all 0600:
 * - `.rampart/clients/<id>.secret` for each confidential client without a `secret:` reference,
 *   generated once (256 random bits); identity receives only SHA-256 hashes.
 * - `.rampart/admin-password`: the first admin's one-time password, generated once, never logged.
 * - `.rampart/demo-users.json` with `demo: true`: alice and bob, their passwords and TOTP secrets.
 * - `<identity>/bootstrap.json`: the admin and demo users for identity to create if missing.
 *
 * @example
 * const secrets = await prepareIdentitySecrets(config, { root, identityDir }, configDir, runAs);
 * writeLaunchSecretEnv('identity', secrets); // handed to identity over IPC
 */
export async function prepareIdentitySecrets(
  config: RampartConfig,
  paths: IdentitySecretsPaths,
  configDir: string,
  runAs: RunAs | null,
): Promise<Omit<LaunchSecretValues<'identity'>, 'sqlPassword'>> {
  const clientsDir = join(paths.root, 'clients');
  const hashes = await clientSecretHashes(config, configDir, (clientId) =>
    readOrCreate(join(clientsDir, `${clientId}.secret`), generateClientSecret),
  );
  const adminPassword = readOrCreate(join(paths.root, 'admin-password'), generateAdminPassword);
  const demoUsers = config.demo === true ? demoIdentities(join(paths.root, 'demo-users.json')) : [];
  const bootstrap: BootstrapFile = { admin: { username: FIRST_ADMIN, password: adminPassword }, demoUsers };
  const bootstrapFile = join(paths.identityDir, 'bootstrap.json');
  // Into identity's own directory, which its user may write: never through a link it planted.
  writeOwnedFile(bootstrapFile, JSON.stringify(bootstrap), 0o600, runAs);
  return { clientSecretHashes: hashes, identityBootstrapFile: bootstrapFile };
}

/**
 * `RAMPART_CLIENT_SECRETS`: each confidential client's secret as its SHA-256 — the one its
 * `secret:` reference names (resolved beside rampart.yaml), or else `generated(clientId)`'s, which
 * the caller keeps where the client's owner will find it.
 *
 * @example
 * const hashes = await clientSecretHashes(config, configDir, () => generateClientSecret());
 */
export async function clientSecretHashes(
  config: RampartConfig,
  configDir: string,
  generated: (clientId: string) => string,
): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const client of config.identity?.clients ?? []) {
    if (client.type !== 'confidential') continue;
    const secret =
      client.secret === undefined
        ? generated(client.id)
        : (await resolveSecret(client.secret, configDir)).reveal();
    hashes[client.id] = hashClientSecret(secret);
  }
  return hashes;
}

function demoIdentities(file: string): DemoUser[] {
  const text = readOrCreate(file, () =>
    JSON.stringify(
      { users: DEMO_USERS.map(({ username, groups }) => generateDemoUser(username, groups)) },
      null,
      2,
    ),
  );
  return (JSON.parse(text) as { users: DemoUser[] }).users;
}

/** The file's content, or a new value written 0600 (in a 0700 directory) if it does not exist. */
function readOrCreate(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return value;
}

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RampartError } from '@rampart/errors';

/** The user components run as. `null` when `up` is not root: components keep the caller's user. */
export interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Started as root, `up` runs components as an unprivileged user (like nginx's workers): `nobody`
 * by default, or the user named by RAMPART_USER. Never root: a uid of 0 is refused.
 */
export function chooseRunAs(env: NodeJS.ProcessEnv = process.env): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const name = env['RAMPART_USER'] ?? 'nobody';
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name);
  if (entry === undefined) {
    throw new RampartError('SUP_UNPRIVILEGED_USER_UNUSABLE', {
      detail: `user '${name}' does not exist; create it or set RAMPART_USER to an existing unprivileged user`,
    });
  }
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new RampartError('SUP_UNPRIVILEGED_USER_UNUSABLE', {
      detail: `user '${name}' is root or malformed in /etc/passwd; set RAMPART_USER to an unprivileged user`,
    });
  }
  return { name, uid, gid };
}

/**
 * Checks, as the unprivileged user, that it can read every path a component needs. A checkout
 * under a private home directory (0700) is the usual cause; the error says how to fix it.
 */
export function assertReadableBy(runAs: RunAs, paths: readonly string[]): void {
  const probe = `const fs = require('node:fs'); for (const p of JSON.parse(process.argv[1])) { try { fs.accessSync(p, fs.constants.R_OK); } catch { console.log(p); process.exit(1); } }`;
  const result = spawnSync(process.execPath, ['-e', probe, JSON.stringify(paths)], {
    uid: runAs.uid,
    gid: runAs.gid,
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.status !== 0) {
    const path = result.stdout.trim() || '(unknown path)';
    throw new RampartError('SUP_UNPRIVILEGED_USER_UNUSABLE', {
      detail:
        `user '${runAs.name}' cannot read ${path}. Components run as '${runAs.name}' when rampart up is started as root; ` +
        `make the installation and the config directory readable (e.g. chmod o+rx on each parent directory), ` +
        `or set RAMPART_USER to a user that can read them`,
    });
  }
}

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { RampartError } from '@rampart/errors';
import type { ComponentPlan } from './component-plan.ts';

/** The OS user one component runs as. `null` when `up` is not root: components keep the caller's user. */
export interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** useradd's limit on a user name. */
const MAX_USER_NAME = 32;
const SERVICE_PREFIX = 'rampart-svc-';
/** Characters of a long service name kept before its hash: 12 + 11 + 1 + 8 = 32. */
const KEPT_CHARACTERS = MAX_USER_NAME - SERVICE_PREFIX.length - 1 - 8;

/**
 * The system user of one component: `rampart-mesh`, `rampart-identity`, `rampart-gateway` (every
 * replica of a component is the same user: `gateway-2` too is `rampart-gateway`, so that the
 * replicas may share the port with SO_REUSEPORT, which the kernel allows within one user only), and
 * `rampart-svc-<name>` for a service. A service name too long for useradd (over 20 characters)
 * keeps its first 11 and adds `_` and 8 hex digits of its SHA-256; service names never contain
 * `_`, so a shortened name can never be another service's full one.
 *
 * @example
 * componentUserName({ name: 'orders', kind: 'service' }); // 'rampart-svc-orders'
 */
export function componentUserName(plan: Pick<ComponentPlan, 'name' | 'kind'>): string {
  if (plan.kind !== 'service') return `rampart-${plan.kind}`;
  const full = `${SERVICE_PREFIX}${plan.name}`;
  if (full.length <= MAX_USER_NAME) return full;
  const digest = createHash('sha256').update(plan.name).digest('hex').slice(0, 8);
  return `${SERVICE_PREFIX}${plan.name.slice(0, KEPT_CHARACTERS)}_${digest}`;
}

/**
 * The user `name`, created as a system user without a home or a login shell if it does not exist
 * yet, reused if it does. Never root: a user with uid 0 is refused.
 */
export function ensureSystemUser(name: string): RunAs {
  const existing = lookupUser(name);
  if (existing !== null) return checked(existing);
  const created = spawnSync(
    'useradd',
    [
      '--system',
      '--no-create-home',
      '--user-group',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  const user = lookupUser(name);
  if (user === null) {
    throw new RampartError('SUP_UNPRIVILEGED_USER_UNUSABLE', {
      detail: `cannot create the system user '${name}' (useradd: ${created.stderr.trim() || created.error?.message || `exit ${created.status}`}); create it yourself: useradd --system --no-create-home --user-group --shell /usr/sbin/nologin ${name}`,
    });
  }
  return checked(user);
}

function lookupUser(name: string): RunAs | null {
  const result = spawnSync('getent', ['passwd', name], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) return null;
  const fields = result.stdout.trim().split(':');
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (fields[0] !== name || !Number.isInteger(uid) || !Number.isInteger(gid)) return null;
  return { name, uid, gid };
}

function checked(user: RunAs): RunAs {
  if (user.uid === 0 || user.gid === 0) {
    throw new RampartError('SUP_UNPRIVILEGED_USER_UNUSABLE', {
      detail: `user '${user.name}' has uid or gid 0; a component never runs as root — remove or fix that user`,
    });
  }
  return user;
}

/**
 * Started as root, `up` runs every component as its own system user (`componentUserName`), so no
 * component can read another's keys or data, whatever the permission model allows. Two components
 * may never share a uid (a user edited by hand to alias another is refused).
 */
export class ComponentUsers {
  readonly #byComponent = new Map<string, RunAs>();

  /** `null` when `up` is not root: every component then runs as the invoking user. */
  static forCurrentProcess(): ComponentUsers | null {
    return process.getuid?.() === 0 ? new ComponentUsers() : null;
  }

  /** The user of one component (the same for each of its replicas), created on first use. */
  userOf(plan: Pick<ComponentPlan, 'name' | 'kind'>): RunAs {
    const name = componentUserName(plan);
    const known = this.#byComponent.get(name);
    if (known !== undefined) return known;
    const user = ensureSystemUser(name);
    for (const [other, otherUser] of this.#byComponent) {
      if (otherUser.uid === user.uid) {
        throw new RampartError('SUP_UNPRIVILEGED_USER_UNUSABLE', {
          detail: `users '${other}' and '${name}' (of '${plan.name}') share uid ${user.uid}; give each component its own user`,
        });
      }
    }
    this.#byComponent.set(name, user);
    return user;
  }
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
        `user '${runAs.name}' cannot read ${path}. Components run as their own system users when rampart up is started as root; ` +
        `make the installation and the config directory readable by others (e.g. chmod o+rx on each parent directory)`,
    });
  }
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** The two secrets a sidecar makes at every start, shared with its process alone. */
export interface SidecarSecrets {
  /** Sent to the process on every forwarded request (`x-rampart-sidecar`): proof the sidecar sent it. */
  readonly proof: string;
  /** Required from the process on every egress request (`x-rampart-egress-secret`). */
  readonly egress: string;
}

/** The variables the process of `run` gets (and an external process reads from `upstream.env`). */
export const PROCESS_VARIABLES = {
  port: 'PORT',
  host: 'HOST',
  egressUrl: 'RAMPART_EGRESS_URL',
  egressSecret: 'RAMPART_EGRESS_SECRET',
  sidecarSecret: 'RAMPART_SIDECAR_SECRET',
  service: 'RAMPART_SERVICE',
  /**
   * Not in the file itself: where a process in a container of its own (Kubernetes) finds the file
   * of these variables, which the sidecar writes into a directory the two containers share.
   */
  envFile: 'RAMPART_SIDECAR_ENV_FILE',
} as const;

/** The name of the file of the process's variables, in the sidecar's state or shared directory. */
export const PROCESS_ENV_FILE = 'upstream.env';

/** A secret as {@link createSidecarSecrets} makes it: 32 bytes, base64url (43 characters). */
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/u;

/** 256 random bits each, base64url: new at every start, so a leaked one dies with that run. */
export function createSidecarSecrets(): SidecarSecrets {
  return { proof: randomBytes(32).toString('base64url'), egress: randomBytes(32).toString('base64url') };
}

/**
 * Whether `presented` is `expected`, in time independent of where they differ (both are hashed
 * first, so their lengths leak nothing either). Absent or repeated headers never match.
 */
export function secretMatches(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * For a process `rampart up` does not start: `<stateDir>/upstream.env` (0600, in the sidecar's
 * 0700 directory, so only its user reads it) with the same variables the process of `run` gets.
 * It changes at every start of the sidecar.
 */
export function writeProcessEnvFile(stateDir: string, variables: Readonly<Record<string, string>>): string {
  const file = join(stateDir, PROCESS_ENV_FILE);
  writeFileSync(file, envText(variables), { mode: 0o600 });
  return file;
}

function envText(variables: Readonly<Record<string, string>>): string {
  return Object.entries(variables)
    .map(([name, value]) => `${name}=${value}\n`)
    .join('');
}

/**
 * On Kubernetes, the secrets of this pod: those of the `upstream.env` an earlier start of the
 * sidecar wrote into the directory it shares with the process's container (which mounts it
 * read-only, so only a sidecar of this pod wrote it), else new ones. The process, started once
 * with the pod, keeps working across restarts of the sidecar; a new pod has new secrets.
 * Anything but a regular file holding two well-formed secrets is ignored (new secrets replace it).
 *
 * @example
 * const secrets = podSecrets('/var/run/rampart/upstream'); // the same object shape as createSidecarSecrets()
 */
export function podSecrets(sharedDir: string): SidecarSecrets {
  const previous = readEnvFile(join(sharedDir, PROCESS_ENV_FILE));
  const proof = previous?.[PROCESS_VARIABLES.sidecarSecret];
  const egress = previous?.[PROCESS_VARIABLES.egressSecret];
  if (proof !== undefined && egress !== undefined && SECRET_SHAPE.test(proof) && SECRET_SHAPE.test(egress)) {
    return { proof, egress };
  }
  return createSidecarSecrets();
}

/**
 * Writes `<sharedDir>/upstream.env` for the process's own container: mode 0640 whatever the umask,
 * so the sidecar's user writes it and the pod's group (its fsGroup, which the process's container
 * has as a supplementary group) reads it — no other user. Written beside and renamed over, so
 * the process never reads half a file.
 */
export function writeSharedProcessEnvFile(
  sharedDir: string,
  variables: Readonly<Record<string, string>>,
): string {
  const file = join(sharedDir, PROCESS_ENV_FILE);
  const next = join(sharedDir, `.${PROCESS_ENV_FILE}.${process.pid}`);
  writeFileSync(next, envText(variables), { mode: 0o640 });
  chmodSync(next, 0o640);
  renameSync(next, file);
  return file;
}

/** `NAME=value` lines of a regular file (never through a link), or undefined when there is none. */
function readEnvFile(file: string): Record<string, string> | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const text = readFileSync(fd, 'utf8');
    return Object.fromEntries(
      text.split('\n').flatMap((line) => {
        const at = line.indexOf('=');
        return at > 0 ? [[line.slice(0, at), line.slice(at + 1)]] : [];
      }),
    );
  } finally {
    closeSync(fd);
  }
}

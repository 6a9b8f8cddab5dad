import { constants } from 'node:fs';
import { open, readdir, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { componentEnv } from '@rampart/config';

/** A variable's name, as the files of the directory must be named; anything else is ignored (`..data`). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** No secret is larger than this; a larger file is refused rather than read. */
const MAX_SECRET_BYTES = 64 * 1024;

/** Who the reading process is, for the ownership check (a stand-in in tests). */
export interface ProcessIds {
  readonly uid: number;
  readonly gid: number;
}

function currentIds(): ProcessIds {
  return { uid: process.geteuid?.() ?? -1, gid: process.getegid?.() ?? -1 };
}

/**
 * Reads a component's secret variables from `dir`, one file per variable named after it — how a
 * component gets on Kubernetes what `rampart up` hands it over IPC elsewhere (a Secret mounted as a
 * volume, `componentEnv.secretsDir`). Each file's whole content is the value (one trailing newline
 * dropped, as `kubectl create secret --from-file` and editors leave one).
 *
 * Refused, with an error naming the file and never its content:
 * - a file that is not a regular file once its links are followed, or whose links lead out of `dir`
 *   (Kubernetes mounts each key as a link into a `..data` directory of the same volume: allowed);
 * - a file anyone but its owner and its group can read or write, or that its group can write;
 * - a file its group can read, unless the group is this process's own (Kubernetes makes a Secret's
 *   files readable by the pod's `fsGroup` and no other way: the component's own GID);
 * - a file owned by another user than this process or root (root: the kubelet writes them);
 * - an empty file, or one larger than 64 KiB.
 *
 * @example
 * const env = await readSecretsDirectory('/var/run/secrets/rampart/env');
 * // { RAMPART_SQL_PASSWORD: '…' }
 */
export async function readSecretsDirectory(
  dir: string,
  ids: ProcessIds = currentIds(),
): Promise<Record<string, string>> {
  const where = `${componentEnv.secretsDir.name}=${dir}`;
  let root: string;
  let names: string[];
  try {
    root = await realpath(dir);
    names = await readdir(root);
  } catch (error) {
    throw new TypeError(`${where}: cannot read the directory (${reason(error)})`, { cause: error });
  }
  const env: Record<string, string> = {};
  for (const name of names.filter((entry) => VARIABLE_NAME.test(entry)).sort()) {
    env[name] = await readSecretFile(root, name, ids, where);
  }
  return env;
}

async function readSecretFile(root: string, name: string, ids: ProcessIds, where: string): Promise<string> {
  const refuse = (why: string): TypeError =>
    new TypeError(`${where}: refusing the secret file ${name}: ${why}`);
  let target: string;
  try {
    target = await realpath(join(root, name));
  } catch (error) {
    throw refuse(`cannot resolve it (${reason(error)})`);
  }
  const inside = relative(root, target);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || inside.startsWith(sep)) {
    throw refuse('it links out of the directory');
  }
  // Opened once (never blocking on a FIFO), checked and read through the same descriptor: what is
  // checked is what is read.
  const handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (error: unknown) => {
      throw refuse(`cannot open it (${reason(error)})`);
    },
  );
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw refuse('it is not a regular file');
    const mode = stats.mode & 0o777;
    if ((mode & 0o007) !== 0) {
      throw refuse(
        `its mode ${octal(mode)} lets other users at it; make it 0400 (or 0440 for the pod's fsGroup)`,
      );
    }
    if ((mode & 0o020) !== 0) throw refuse(`its mode ${octal(mode)} lets its group write it; make it 0400`);
    if ((mode & 0o040) !== 0 && stats.gid !== ids.gid) {
      throw refuse(
        `its mode ${octal(mode)} lets group ${stats.gid} read it, which is not this process's (${ids.gid}); ` +
          'make it 0400, or give the pod that group as its fsGroup',
      );
    }
    if (stats.uid !== ids.uid && stats.uid !== 0) {
      throw refuse(`it belongs to user ${stats.uid}, neither this process (${ids.uid}) nor root`);
    }
    if (stats.size > MAX_SECRET_BYTES) throw refuse(`it is larger than ${MAX_SECRET_BYTES} bytes`);
    const value = (await handle.readFile('utf8')).replace(/\r?\n$/u, '');
    if (value.length === 0) throw refuse('it is empty');
    return value;
  } finally {
    await handle.close();
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : 'unknown error';
}

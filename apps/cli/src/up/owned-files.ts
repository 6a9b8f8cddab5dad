import {
  chmodSync,
  closeSync,
  fchownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ComponentPlan } from './component-plan.ts';
import type { RunAs } from './privileges.ts';

/**
 * A directory of one component: created with `mode`, and — when `up` runs as root — everything in
 * it handed to the component's user. Symbolic links are re-owned themselves and never followed, so
 * a link a component planted in its own directory cannot make root give it another file.
 */
export function ensureOwnedDir(dir: string, mode: number, owner: RunAs | null): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
  if (owner !== null) chownTree(dir, owner);
}

function chownTree(path: string, owner: RunAs): void {
  const info = lstatSync(path);
  if (info.uid !== owner.uid || info.gid !== owner.gid) lchownSync(path, owner.uid, owner.gid);
  if (!info.isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), owner);
}

/**
 * Writes a file that one component alone may read, as root, into a directory that component may
 * write to: whatever was there (even a symbolic link the component planted) is removed, the file is
 * created exclusively (`O_EXCL` never follows a link), then owned and written through its descriptor.
 */
export function writeOwnedFile(
  file: string,
  content: string | Uint8Array,
  mode: number,
  owner: RunAs | null,
): void {
  rmSync(file, { force: true });
  const fd = openSync(file, 'wx', mode);
  try {
    if (owner !== null) fchownSync(fd, owner.uid, owner.gid);
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
  } finally {
    closeSync(fd);
  }
}

/** Gives an existing file (a key the supervisor generated) to one component's user alone. */
export function handOver(file: string, owner: RunAs | null): void {
  chmodSync(file, 0o600);
  if (owner !== null) lchownSync(file, owner.uid, owner.gid);
}

/**
 * Everything of one component before it starts: its directories (and all in them) its user's, the
 * key it alone signs with handed over, and its private copy of the pseudonym key.
 */
export function prepareComponentFiles(
  plan: Pick<ComponentPlan, 'stateDir' | 'stateDirMode' | 'privateDirs' | 'ownedFiles' | 'pseudonymKeyCopy'>,
  pseudonymKey: string,
  owner: RunAs | null,
): void {
  ensureOwnedDir(plan.stateDir, plan.stateDirMode, owner);
  for (const dir of plan.privateDirs) ensureOwnedDir(dir, 0o700, owner);
  for (const file of plan.ownedFiles) handOver(file, owner);
  if (plan.pseudonymKeyCopy !== undefined) {
    writeOwnedFile(plan.pseudonymKeyCopy, readFileSync(pseudonymKey), 0o600, owner);
  }
}

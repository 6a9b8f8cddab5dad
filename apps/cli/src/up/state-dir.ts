import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RampartError } from '@rampart/errors';
import type { RunAs } from './privileges.ts';

/** The layout of `.rampart/` beside the config. */
export interface StateDir {
  readonly root: string;
  readonly logs: string;
  readonly keys: string;
  /** Public key that verifies internal tokens (readable by every component). */
  readonly internalTokenPublicKey: string;
  /** Private key that signs internal tokens (0600, readable by the gateway only). */
  readonly internalTokenPrivateKey: string;
  /** Pseudonymizes subjects in security events, the same in every component (0600). */
  readonly pseudonymKey: string;
  readonly lockFile: string;
  /** The trust anchor for clients of the gateway (0644). */
  readonly caFile: string;
  /** The edge CA that issues the gateway's public certificate (0700, the supervisor's only). */
  readonly edgeCaDir: string;
  serviceDir(name: string): string;
  /** A service's keyring directory (`.rampart/keyring/<name>/`): keys kept apart from data. */
  keyringDir(name: string): string;
  /** A platform component's own directory (`.rampart/<name>/`), e.g. the mesh CA's. */
  componentDir(name: string): string;
  logFile(name: string): string;
}

export function stateDirFor(configFile: string): StateDir {
  const root = join(dirname(configFile), '.rampart');
  const keys = join(root, 'keys');
  return {
    root,
    logs: join(root, 'logs'),
    keys,
    internalTokenPublicKey: join(keys, 'internal-token.pub.pem'),
    internalTokenPrivateKey: join(keys, 'internal-token.key.pem'),
    pseudonymKey: join(keys, 'pseudonym.key'),
    lockFile: join(root, 'up.pid'),
    caFile: join(root, 'ca.pem'),
    edgeCaDir: join(root, 'edge-ca'),
    serviceDir: (name) => join(root, 'services', name),
    componentDir: (name) => join(root, name),
    keyringDir: (name) => join(root, 'keyring', name),
    logFile: (name) => join(root, 'logs', `${name}.log`),
  };
}

/**
 * Creates the layout with least-privilege modes: directories others may only traverse (0711),
 * private ones 0700, secret files 0600. Each service's own directory belongs to the user it runs as.
 */
export function prepareStateDir(
  state: StateDir,
  componentDirs: readonly string[],
  runAs: RunAs | null,
): void {
  for (const dir of [state.root, state.keys, join(state.root, 'services'), join(state.root, 'keyring')]) {
    ensureDir(dir, 0o711);
  }
  ensureDir(state.logs, 0o700);
  for (const dir of componentDirs) {
    ensureDir(dir, 0o700);
    if (runAs !== null) chownSync(dir, runAs.uid, runAs.gid);
  }
  if (!existsSync(state.internalTokenPrivateKey) || !existsSync(state.internalTokenPublicKey)) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(state.internalTokenPrivateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    writeFileSync(state.internalTokenPublicKey, publicKey.export({ type: 'spki', format: 'pem' }), {
      mode: 0o644,
    });
  }
  if (!existsSync(state.pseudonymKey)) writeFileSync(state.pseudonymKey, randomBytes(32), { mode: 0o600 });
  chmodSync(state.internalTokenPrivateKey, 0o600);
  chmodSync(state.pseudonymKey, 0o600);
  // The signing key is read by the components that sign (the mesh authority, later the gateway);
  // the permission model keeps every other component away from it.
  if (runAs !== null) {
    chownSync(state.internalTokenPrivateKey, runAs.uid, runAs.gid);
    chownSync(state.pseudonymKey, runAs.uid, runAs.gid);
  }
}

function ensureDir(dir: string, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
}

/** One `rampart up` per config: a second one would fight over ports and state. */
export function acquireLock(state: StateDir): () => void {
  if (existsSync(state.lockFile)) {
    const pid = Number(readFileSync(state.lockFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new RampartError('SUP_ALREADY_RUNNING', {
        detail: `rampart up (pid ${pid}) is already running for this config; stop it first (kill ${pid})`,
      });
    }
  }
  writeFileSync(state.lockFile, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    rmSync(state.lockFile, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

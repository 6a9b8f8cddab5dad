import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RampartError } from '@rampart/errors';

/** The layout of `.rampart/` beside the config. */
export interface StateDir {
  readonly root: string;
  readonly logs: string;
  readonly keys: string;
  /** Public key verifying the internal tokens the mesh authority signs (0644, every service). */
  readonly internalTokenPublicKey: string;
  /** The mesh authority's internal-token signing key (0600, the mesh's user alone). */
  readonly internalTokenPrivateKey: string;
  /** The gateway's own internal-token signing key (0600, the gateway's user alone), and its public half (0644). */
  readonly gatewayTokenPrivateKey: string;
  readonly gatewayTokenPublicKey: string;
  /**
   * The audit service's checkpoint signing key (0600, the audit user's alone), and its public half
   * (0644), which `rampart audit verify` checks checkpoints with.
   */
  readonly auditSigningPrivateKey: string;
  readonly auditSigningPublicKey: string;
  /**
   * The audit trail's checkpoints as the supervisor received them (0600, the supervisor's): a copy
   * out of the audit service's reach, against which truncation of its store is detected.
   */
  readonly auditCheckpoints: string;
  /**
   * Pseudonymizes subjects in security events, the same in every component (0600, the
   * supervisor's): each component that needs it gets a private copy in its own directory.
   */
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
    gatewayTokenPrivateKey: join(keys, 'gateway-token.key.pem'),
    gatewayTokenPublicKey: join(keys, 'gateway-token.pub.pem'),
    auditSigningPrivateKey: join(keys, 'audit-signing.key.pem'),
    auditSigningPublicKey: join(keys, 'audit-signing.pub.pem'),
    auditCheckpoints: join(root, 'audit-checkpoints.jsonl'),
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
 * Creates the shared part of the layout, owned by the supervisor: directories others may only
 * traverse (0711), the logs 0700, keys generated once and 0600 until each is handed to the one
 * component that signs with it (`prepareComponentFiles`). Component directories come per component.
 */
export function prepareStateDir(state: StateDir): void {
  for (const dir of [state.root, state.keys, join(state.root, 'services'), join(state.root, 'keyring')]) {
    ensureDir(dir, 0o711);
  }
  ensureDir(state.logs, 0o700);
  ensureSigningPair(state.internalTokenPrivateKey, state.internalTokenPublicKey);
  ensureSigningPair(state.gatewayTokenPrivateKey, state.gatewayTokenPublicKey);
  ensureSigningPair(state.auditSigningPrivateKey, state.auditSigningPublicKey);
  if (!existsSync(state.pseudonymKey))
    writeFileSync(state.pseudonymKey, generatePseudonymKey(), { mode: 0o600 });
  chmodSync(state.pseudonymKey, 0o600);
  if (process.getuid?.() === 0) chownSync(state.pseudonymKey, 0, 0);
}

/** An Ed25519 signing pair, PEM: the private half PKCS#8, the public SPKI. */
export interface SigningPairPems {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/**
 * A new Ed25519 pair for internal tokens or audit checkpoints, as `rampart up` and
 * `rampart export k8s-secrets` make them.
 *
 * @example
 * const { privateKeyPem, publicKeyPem } = generateSigningPair();
 */
export function generateSigningPair(): SigningPairPems {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The deployment's pseudonym key: 32 random bytes, the HMAC key of subjects in security events. */
export function generatePseudonymKey(): Buffer {
  return randomBytes(32);
}

/** An Ed25519 pair (internal tokens, audit checkpoints), generated once: the private half 0600, the public 0644. */
function ensureSigningPair(privateFile: string, publicFile: string): void {
  if (!existsSync(privateFile) || !existsSync(publicFile)) {
    const { privateKeyPem, publicKeyPem } = generateSigningPair();
    writeFileSync(privateFile, privateKeyPem, { mode: 0o600 });
    writeFileSync(publicFile, publicKeyPem, { mode: 0o644 });
  }
  chmodSync(privateFile, 0o600);
  chmodSync(publicFile, 0o644);
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

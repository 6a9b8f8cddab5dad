import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { inspect } from 'node:util';
import type { KeyProvider, WrappedKey } from './key-provider.ts';

const FORMAT = 'rampart-keyring/1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type KeyState = 'active' | 'decrypt-only';

/** What a keyring says about one KEK — never its bytes. */
export interface KeyInfo {
  readonly version: number;
  readonly createdAt: string;
  readonly state: KeyState;
}

interface StoredKey extends KeyInfo {
  readonly key: string;
}

interface LoadedKey extends KeyInfo {
  readonly secret: KeyObject;
}

interface Loaded {
  readonly keys: ReadonlyMap<number, LoadedKey>;
  readonly active: number;
  readonly index: KeyObject;
  readonly mtimeMs: number;
}

/**
 * A keyring in a local JSON file (`.rampart/keyring.json`, mode 0600), holding versioned
 * key-encryption keys — exactly one `active`, the others `decrypt-only` — and the root key that
 * blind indexes are derived from. Created with one fresh key when absent; refused when group or
 * others may read it. Data keys are wrapped with AES-256-GCM. The key bytes never appear in an
 * error, `util.inspect` or JSON output of the keyring.
 *
 * @example
 * const keyring = await LocalKeyring.open('.rampart/keyring.json');
 * const cipher = new FieldCipher(keyring);
 * await keyring.rotate(); // new values use the new version; old ones still decrypt
 */
export class LocalKeyring implements KeyProvider {
  readonly file: string;
  #loaded: Loaded;

  private constructor(file: string, loaded: Loaded) {
    this.file = file;
    this.#loaded = loaded;
  }

  /** Opens the keyring file, creating it (and its directory, 0700) with one active key if absent. */
  static async open(file: string): Promise<LocalKeyring> {
    return new LocalKeyring(file, await loadOrCreate(file));
  }

  activeVersion(): number {
    return this.#loaded.active;
  }

  /** Every KEK's version, creation date and state, oldest first. */
  keys(): KeyInfo[] {
    return [...this.#loaded.keys.values()].map(({ version, createdAt, state }) => ({
      version,
      createdAt,
      state,
    }));
  }

  /** The root key blind indexes derive their per-column keys from (never rotated by `rotate`). */
  indexRootKey(): KeyObject {
    return this.#loaded.index;
  }

  wrap(dataKey: Uint8Array, associatedData: Uint8Array): Promise<WrappedKey> {
    if (dataKey.length !== KEY_BYTES)
      return Promise.reject(new TypeError(`a data key is ${KEY_BYTES} bytes`));
    const kek = this.#key(this.#loaded.active);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', kek.secret, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData);
    const wrapped = Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return Promise.resolve({ kekVersion: kek.version, wrapped });
  }

  async unwrap(key: WrappedKey, associatedData: Uint8Array): Promise<Uint8Array> {
    if (!this.#loaded.keys.has(key.kekVersion)) await this.#reloadIfChanged();
    const kek = this.#loaded.keys.get(key.kekVersion);
    if (kek === undefined) throw new Error(`key version ${key.kekVersion} is not in the keyring`);
    if (key.wrapped.length !== IV_BYTES + KEY_BYTES + TAG_BYTES)
      throw new Error('wrapped key has the wrong length');
    const wrapped = Buffer.from(key.wrapped);
    const decipher = createDecipheriv('aes-256-gcm', kek.secret, wrapped.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(associatedData);
    decipher.setAuthTag(wrapped.subarray(IV_BYTES + KEY_BYTES));
    return Buffer.concat([
      decipher.update(wrapped.subarray(IV_BYTES, IV_BYTES + KEY_BYTES)),
      decipher.final(),
    ]);
  }

  /**
   * Adds a new active KEK and marks the previous one decrypt-only; returns the new version.
   * The file is replaced atomically (written beside it, 0600, then renamed).
   */
  async rotate(): Promise<number> {
    await this.#reloadIfChanged();
    const version = Math.max(...this.#loaded.keys.keys()) + 1;
    const stored: StoredKey[] = [...this.#loaded.keys.values()].map((key) => ({
      version: key.version,
      key: key.secret.export().toString('base64'),
      createdAt: key.createdAt,
      state: 'decrypt-only',
    }));
    stored.push({
      version,
      key: randomBytes(KEY_BYTES).toString('base64'),
      createdAt: new Date().toISOString(),
      state: 'active',
    });
    const index = this.#loaded.index.export().toString('base64');
    await writeAtomically(this.file, serialize(stored, index));
    this.#loaded = await load(this.file);
    return version;
  }

  /** Reads the file again (another process may have rotated it). */
  async reload(): Promise<void> {
    this.#loaded = await load(this.file);
  }

  async #reloadIfChanged(): Promise<void> {
    const { mtimeMs } = await stat(this.file);
    if (mtimeMs !== this.#loaded.mtimeMs) await this.reload();
  }

  #key(version: number): LoadedKey {
    const key = this.#loaded.keys.get(version);
    if (key === undefined) throw new Error(`key version ${version} is not in the keyring`);
    return key;
  }

  toJSON(): Record<string, unknown> {
    return { file: this.file, activeVersion: this.activeVersion(), keys: this.keys() };
  }

  [inspect.custom](): string {
    return `LocalKeyring { file: ${JSON.stringify(this.file)}, activeVersion: ${this.activeVersion()}, versions: ${this.#loaded.keys.size} }`;
  }
}

function serialize(keys: readonly StoredKey[], indexKey: string): string {
  return `${JSON.stringify({ format: FORMAT, indexKey, keys }, null, 2)}\n`;
}

async function loadOrCreate(file: string): Promise<Loaded> {
  try {
    return await load(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const first: StoredKey = {
    version: 1,
    key: randomBytes(KEY_BYTES).toString('base64'),
    createdAt: new Date().toISOString(),
    state: 'active',
  };
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(serialize([first], randomBytes(KEY_BYTES).toString('base64')));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return load(file);
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

function invalid(file: string, reason: string): Error {
  return new Error(`keyring ${file} is invalid: ${reason}`);
}

async function load(file: string): Promise<Loaded> {
  const info = await stat(file);
  if (!info.isFile()) throw invalid(file, 'not a regular file');
  // Group read is allowed for the process's own group alone: how Kubernetes mounts a Secret's file
  // (0440, the pod's fsGroup), the component's own GID. Nothing else but its owner may read it.
  const groupReadOnly = (info.mode & 0o077) === 0o040 && info.gid === process.getegid?.();
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0 && !groupReadOnly) {
    throw new Error(
      `keyring ${file} may be read by others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${file} ` +
        "(or 0440 with the process's own group, as a Kubernetes Secret mounts it)",
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // The parser's message may quote the file's content: never pass it on.
    throw invalid(file, 'not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid(file, 'not an object');
  const { format, indexKey, keys } = parsed as { format?: unknown; indexKey?: unknown; keys?: unknown };
  if (format !== FORMAT) throw invalid(file, `format is not ${FORMAT}`);
  const index = decodeKey(indexKey);
  if (index === null) throw invalid(file, `indexKey is not ${KEY_BYTES} bytes of base64`);
  if (!Array.isArray(keys) || keys.length === 0) throw invalid(file, 'keys is not a non-empty list');
  const loaded = new Map<number, LoadedKey>();
  let active: number | undefined;
  for (const [position, entry] of (keys as unknown[]).entries()) {
    const { version, key, createdAt, state } = (entry ?? {}) as Partial<Record<keyof StoredKey, unknown>>;
    const where = `keys[${position}]`;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
      throw invalid(file, `${where}.version is not a positive integer`);
    }
    if (loaded.has(version)) throw invalid(file, `version ${version} appears twice`);
    const secret = decodeKey(key);
    if (secret === null) throw invalid(file, `${where}.key is not ${KEY_BYTES} bytes of base64`);
    if (typeof createdAt !== 'string') throw invalid(file, `${where}.createdAt is not a date`);
    if (state !== 'active' && state !== 'decrypt-only')
      throw invalid(file, `${where}.state is not active or decrypt-only`);
    if (state === 'active') {
      if (active !== undefined) throw invalid(file, 'more than one key is active');
      active = version;
    }
    loaded.set(version, { version, createdAt, state, secret });
  }
  if (active === undefined) throw invalid(file, 'no key is active');
  return { keys: loaded, active, index, mtimeMs: info.mtimeMs };
}

function decodeKey(value: unknown): KeyObject | null {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === KEY_BYTES ? createSecretKey(bytes) : null;
}

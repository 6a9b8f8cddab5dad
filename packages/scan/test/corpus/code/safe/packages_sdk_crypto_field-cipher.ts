import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { RampartError } from '@rampart/errors';
import { encodeFields, fromBase64url, toBase64url } from './encoding.ts';
import type { KeyProvider } from './key-provider.ts';

/** The format tag: first field of every value and part of its associated data. */
export const FIELD_FORMAT = 'rf1';

const DEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = /^[1-9][0-9]{0,14}$/;

/** Where a value lives. A ciphertext decrypts only at the table, column and row it was written for. */
export interface FieldContext {
  readonly table: string;
  readonly column: string;
  readonly row: string | number | bigint;
}

interface Parsed {
  readonly kekVersion: number;
  readonly wrapped: Buffer;
  readonly iv: Buffer;
  readonly sealed: Buffer;
}

/**
 * Field-level envelope encryption. Each value gets a fresh 256-bit data key (DEK) and a random
 * 96-bit IV, is sealed with AES-256-GCM, and the DEK is wrapped by the key provider's active
 * KEK. The associated data binds the format, table, column and row (and the KEK version to the
 * wrapped DEK), so a ciphertext copied to another row, column or table, or changed in any bit,
 * fails with `SDK_DECRYPT_FAILED`. The result is one self-describing ASCII string:
 *
 *     rf1.<kekVersion>.<base64url(wrapped DEK)>.<base64url(iv)>.<base64url(ciphertext ‖ tag)>
 *
 * @example
 * const cipher = new FieldCipher(await LocalKeyring.open('.rampart/keyring.json'));
 * const where = { table: 'profiles', column: 'email', row: userId };
 * const stored = await cipher.encrypt('jane@example.com', where);
 * await cipher.decrypt(stored, where); // 'jane@example.com'
 * if (cipher.needsReencryption(stored)) await cipher.reencrypt(stored, where);
 */
export class FieldCipher {
  readonly #keys: KeyProvider;

  constructor(keys: KeyProvider) {
    this.#keys = keys;
  }

  /** Encrypts `plaintext` (well-formed Unicode) for the field at `context`. */
  async encrypt(plaintext: string, context: FieldContext): Promise<string> {
    if (typeof plaintext !== 'string')
      throw new TypeError('FieldCipher.encrypt takes a string; serialize other values first');
    if (!plaintext.isWellFormed())
      throw new TypeError('plaintext has a lone surrogate; it would not survive UTF-8');
    const fields = contextFields(context);
    const dek = randomBytes(DEK_BYTES);
    try {
      const { kekVersion, wrapped } = await this.#keys.wrap(dek, dekData(fields));
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', dek, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(valueData(fields, kekVersion));
      const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return [
        FIELD_FORMAT,
        String(kekVersion),
        toBase64url(wrapped),
        toBase64url(iv),
        toBase64url(sealed),
      ].join('.');
    } finally {
      dek.fill(0);
    }
  }

  /** The plaintext of `value`, or `SDK_DECRYPT_FAILED` when it is malformed, moved, altered or its key is unknown. */
  async decrypt(value: string, context: FieldContext): Promise<string> {
    const fields = contextFields(context);
    const parsed = parse(value);
    let dek: Buffer;
    try {
      dek = Buffer.from(
        await this.#keys.unwrap({ kekVersion: parsed.kekVersion, wrapped: parsed.wrapped }, dekData(fields)),
      );
    } catch (cause) {
      throw failure(
        `the data key does not unwrap with key version ${parsed.kekVersion} for ${where(context)}`,
        cause,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', dek, parsed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(valueData(fields, parsed.kekVersion));
      decipher.setAuthTag(parsed.sealed.subarray(parsed.sealed.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(parsed.sealed.subarray(0, parsed.sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch (cause) {
      throw failure(`the value does not authenticate for ${where(context)}`, cause);
    } finally {
      dek.fill(0);
    }
  }

  /** Whether `value` was written with a key version other than the active one (checks the format only). */
  needsReencryption(value: string): boolean {
    return parse(value).kekVersion !== this.#keys.activeVersion();
  }

  /**
   * Lazy rotation on read: `value` decrypted (so checked) and, when its key version is not the
   * active one, encrypted again under the active version; otherwise `value` itself.
   */
  async reencrypt(value: string, context: FieldContext): Promise<string> {
    const plaintext = await this.decrypt(value, context);
    return this.needsReencryption(value) ? this.encrypt(plaintext, context) : value;
  }

  toJSON(): Record<string, unknown> {
    return { format: FIELD_FORMAT, activeVersion: this.#keys.activeVersion() };
  }

  [inspect.custom](): string {
    return `FieldCipher { format: '${FIELD_FORMAT}', activeVersion: ${this.#keys.activeVersion()} }`;
  }
}

function contextFields(context: FieldContext): [string, string, string] {
  const { table, column, row } = context;
  if (typeof table !== 'string' || table === '')
    throw new TypeError('context.table must be a non-empty string');
  if (typeof column !== 'string' || column === '')
    throw new TypeError('context.column must be a non-empty string');
  if (!(
    typeof row === 'string' ||
    typeof row === 'bigint' ||
    (typeof row === 'number' && Number.isFinite(row))
  )) {
    throw new TypeError('context.row must be a string, a finite number or a bigint (the row key)');
  }
  if (String(row) === '') throw new TypeError('context.row must not be empty');
  return [table, column, String(row)];
}

function dekData(fields: readonly string[]): Buffer {
  return encodeFields([`${FIELD_FORMAT}/dek`, ...fields]);
}

function valueData(fields: readonly string[], kekVersion: number): Buffer {
  return encodeFields([FIELD_FORMAT, ...fields, String(kekVersion)]);
}

function where(context: FieldContext): string {
  return `${context.table}.${context.column}`;
}

function failure(detail: string, cause?: unknown): RampartError {
  return new RampartError('SDK_DECRYPT_FAILED', cause === undefined ? { detail } : { detail, cause });
}

function parse(value: string): Parsed {
  if (typeof value !== 'string') throw new TypeError('FieldCipher takes the stored string');
  const parts = value.split('.');
  if (parts.length !== 5 || parts[0] !== FIELD_FORMAT) throw failure(`not an ${FIELD_FORMAT} value`);
  const [, version = '', wrappedText = '', ivText = '', sealedText = ''] = parts;
  if (!VERSION.test(version)) throw failure('the key version is malformed');
  const wrapped = fromBase64url(wrappedText);
  const iv = fromBase64url(ivText);
  const sealed = fromBase64url(sealedText);
  if (wrapped === null || wrapped.length === 0) throw failure('the wrapped key is malformed');
  if (iv?.length !== IV_BYTES) throw failure('the IV is malformed');
  if (sealed === null || sealed.length < TAG_BYTES) throw failure('the ciphertext is malformed');
  return { kekVersion: Number(version), wrapped, iv, sealed };
}

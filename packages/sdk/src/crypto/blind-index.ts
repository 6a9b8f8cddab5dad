import { Buffer } from 'node:buffer';
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { encodeFields } from './encoding.ts';

/** How a value is normalised before indexing, so that equal values index equally. */
export type Normalization = 'exact' | 'text' | 'email' | 'phone' | ((value: string) => string);

export interface IndexContext {
  readonly table: string;
  readonly column: string;
  /** Default `text`: Unicode NFC and trimmed. `email`: also lower-cased. `phone`: `+` and digits only. */
  readonly normalize?: Normalization;
}

/** 16 bytes of HMAC-SHA-256: 22 base64url characters. */
export const INDEX_BYTES = 16;

const NORMALIZERS = {
  exact: (value: string) => value,
  text: (value: string) => value.normalize('NFC').trim(),
  email: (value: string) => value.normalize('NFC').trim().toLowerCase(),
  phone: (value: string) => value.replace(/[^+0-9]/g, ''),
} as const;

/**
 * Blind indexes for equality lookups on encrypted fields: `hmacIndex(value, { table, column })`
 * is HMAC-SHA-256 over the normalised value under a per-column key derived with HKDF-SHA-256
 * from the keyring's index root key and the table and column — so equal values give equal
 * indexes within a column, and unrelated ones across columns (an index cannot be joined
 * against another column's). The output is the first 16 bytes, base64url (22 characters).
 *
 * @example
 * const index = new BlindIndex(keyring.indexRootKey());
 * const emailIndex = index.hmacIndex(' Jane@Example.com', { table: 'profiles', column: 'email', normalize: 'email' });
 * // store emailIndex beside the ciphertext; look a user up with WHERE email_index = $1
 */
export class BlindIndex {
  readonly #root: KeyObject;
  readonly #columnKeys = new Map<string, KeyObject>();

  constructor(rootKey: KeyObject) {
    if (rootKey.type !== 'secret' || (rootKey.symmetricKeySize ?? 0) < 32) {
      throw new TypeError('BlindIndex needs a secret key of at least 32 bytes (keyring.indexRootKey())');
    }
    this.#root = rootKey;
  }

  hmacIndex(value: string, context: IndexContext): string {
    if (typeof value !== 'string') throw new TypeError('hmacIndex takes a string');
    const { table, column } = context;
    if (typeof table !== 'string' || table === '' || typeof column !== 'string' || column === '') {
      throw new TypeError('hmacIndex needs a non-empty table and column');
    }
    const normalize = context.normalize ?? 'text';
    const normalized = typeof normalize === 'function' ? normalize(value) : NORMALIZERS[normalize](value);
    return createHmac('sha256', this.#columnKey(table, column))
      .update(normalized, 'utf8')
      .digest()
      .subarray(0, INDEX_BYTES)
      .toString('base64url');
  }

  #columnKey(table: string, column: string): KeyObject {
    const id = JSON.stringify([table, column]);
    let key = this.#columnKeys.get(id);
    if (key === undefined) {
      const info = encodeFields(['rampart/blind-index/v1', table, column]);
      key = createSecretKey(Buffer.from(hkdfSync('sha256', this.#root, Buffer.alloc(0), info, 32)));
      this.#columnKeys.set(id, key);
    }
    return key;
  }

  toJSON(): Record<string, unknown> {
    return { blindIndex: 'hmac-sha256', bytes: INDEX_BYTES };
  }

  [inspect.custom](): string {
    return `BlindIndex { hmac: 'sha256', bytes: ${INDEX_BYTES}, columns: ${this.#columnKeys.size} }`;
  }
}

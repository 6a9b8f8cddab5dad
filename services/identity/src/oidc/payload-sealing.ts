import { Buffer } from 'node:buffer';
import { createHmac } from 'node:crypto';
import type { FieldCipher, Store } from '@rampart/sdk';
import { sharedSecrets } from '../keys/shared-secrets.ts';

/**
 * Models whose id is not a bearer secret and stays readable: a `Client` row's id is the public
 * client id (the admin API writes these rows), a `Grant`'s id is the token family's handle,
 * printed as `gid` in every access token and presenting it obtains nothing.
 */
const CLEAR_ID_MODELS: ReadonlySet<string> = new Set(['Client', 'Grant']);
/** The only payload kept readable: a `Client` row is the client's public metadata (with its secret's hash). */
const CLEAR_PAYLOAD_MODELS: ReadonlySet<string> = new Set(['Client']);

const FIELD = { table: 'oidc_payloads', column: 'payload' } as const;

/**
 * How oidc-provider's rows are kept in `oidc_payloads` so that a copy of the store, its journal or
 * a backup yields no usable credential and no personal data:
 *
 * - The id of every bearer model — refresh token, authorization code, session (the session
 *   cookie's value), interaction, opaque access token, client-credentials token, device and user
 *   codes — is stored only as HMAC-SHA-256 under a 256-bit key of identity's own, itself sealed
 *   with the identity keyring (`identity_secrets`, name `payload-id-key`). The lookup is
 *   deterministic, so single-use consumption stays one conditional UPDATE on the hashed id; the
 *   stored value cannot be turned back into the token, and without the keyring not even checked
 *   against a guess.
 * - Every payload but a client's metadata is sealed with the `FieldCipher` (AES-256-GCM, bound to
 *   the model and the stored id): payloads repeat their own id (`jti`), an interaction holds the
 *   session cookie and the authorization request (`login_hint`, `id_token_hint`), a session the
 *   sign-in facts.
 *
 * @example
 * const sealing = await PayloadSealing.open(store, cipher);
 * const id = sealing.storedId('RefreshToken', token);
 * await store.run('… WHERE id = ?', [id]);
 */
export class PayloadSealing {
  readonly #cipher: FieldCipher;
  readonly #idKey: Buffer;

  constructor(cipher: FieldCipher, idKey: Buffer) {
    if (idKey.length < 32) throw new TypeError('the payload id key must have at least 256 bits');
    this.#cipher = cipher;
    this.#idKey = idKey;
  }

  /** Reads (creating it on first use) the id key every replica shares. */
  static async open(store: Store, cipher: FieldCipher): Promise<PayloadSealing> {
    const [key] = await sharedSecrets(store, cipher, 'payload-id-key', 1);
    if (key === undefined) throw new TypeError('the payload id key is missing from identity_secrets');
    return new PayloadSealing(cipher, Buffer.from(key, 'base64url'));
  }

  /** The row id stored for `id` of `model`: the keyed hash for bearer models, `id` itself otherwise. */
  storedId(model: string, id: string): string {
    return CLEAR_ID_MODELS.has(model) ? id : this.#hash(model, id);
  }

  /** The stored form of a device flow's user code (itself a bearer secret). */
  storedUserCode(userCode: string): string {
    return this.#hash('UserCode', userCode);
  }

  /** The `payload` column's value for the row (`model`, `storedId`). */
  seal(model: string, storedId: string, payload: object): Promise<string> {
    const json = JSON.stringify(payload);
    if (CLEAR_PAYLOAD_MODELS.has(model)) return Promise.resolve(json);
    return this.#cipher.encrypt(json, { ...FIELD, row: `${model}/${storedId}` });
  }

  /** The payload of the row (`model`, `storedId`); `SDK_DECRYPT_FAILED` if it was moved or altered. */
  async unseal(model: string, storedId: string, stored: string): Promise<unknown> {
    const json = CLEAR_PAYLOAD_MODELS.has(model)
      ? stored
      : await this.#cipher.decrypt(stored, { ...FIELD, row: `${model}/${storedId}` });
    return JSON.parse(json) as unknown;
  }

  #hash(model: string, id: string): string {
    return createHmac('sha256', this.#idKey).update(`${model}\0${id}`).digest('base64url');
  }
}

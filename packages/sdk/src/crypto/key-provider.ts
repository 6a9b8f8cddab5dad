/**
 * Where key-encryption keys (KEKs) live. `FieldCipher` asks a provider to wrap each fresh data
 * key (DEK) and to unwrap it again; the KEK itself never leaves the provider.
 *
 * - `LocalKeyring` (this package) keeps versioned KEKs in a 0600 JSON file and wraps with
 *   AES-256-GCM.
 * - **Vault Transit** would implement it over HTTP: `wrap` → `POST transit/encrypt/<key>` with
 *   `plaintext` = base64(DEK) and `associated_data` = base64(AAD) on an `aes256-gcm96` key; the
 *   answer `vault:v<N>:…` gives `kekVersion` N and `wrapped` = its bytes. `unwrap` →
 *   `transit/decrypt/<key>` with the same AAD. `activeVersion()` is the key's `latest_version`
 *   (read at start and refreshed in the background); rotation is `transit/keys/<key>/rotate`,
 *   and `min_decryption_version` retires old versions once `needsReencryption` finds none left.
 * - **A cloud KMS** (AWS KMS, GCP Cloud KMS, Azure Key Vault) likewise: `wrap` → `Encrypt` with
 *   the AAD as encryption context (AWS `EncryptionContext`, GCP
 *   `additionalAuthenticatedData`), `unwrap` → `Decrypt`. KMS rotation keeps one key id, so the
 *   provider maps each `kekVersion` to a key ARN or key version it was configured with, and
 *   `activeVersion()` to the one it encrypts with today.
 *
 * Remote providers cost one round trip per wrap or unwrap; `FieldCipher` wraps one DEK per
 * value, so such a provider should cache unwrapped DEKs briefly (by wrapped bytes) if reads are hot.
 */
export interface WrappedKey {
  /** Version of the KEK that wrapped the data key; recorded in every ciphertext. */
  readonly kekVersion: number;
  /** The wrapped data key, opaque to the caller. */
  readonly wrapped: Uint8Array;
}

export interface KeyProvider {
  /** The version new data keys are wrapped with. */
  activeVersion(): number;
  /**
   * Wraps a 32-byte data key with the active KEK, authenticating `associatedData` with it:
   * unwrapping with any other associated data must fail.
   */
  wrap(dataKey: Uint8Array, associatedData: Uint8Array): Promise<WrappedKey>;
  /** The data key, or a rejection when the version is unknown or the wrapped key does not authenticate. */
  unwrap(key: WrappedKey, associatedData: Uint8Array): Promise<Uint8Array>;
}

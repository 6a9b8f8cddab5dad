export { BlindIndex, INDEX_BYTES, type IndexContext, type Normalization } from './blind-index.ts';
export { FIELD_FORMAT, FieldCipher, type FieldContext } from './field-cipher.ts';
export type { KeyProvider, WrappedKey } from './key-provider.ts';
export { LocalKeyring, type KeyInfo, type KeyState } from './local-keyring.ts';

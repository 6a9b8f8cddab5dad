import { randomBytes } from 'node:crypto';
import type { FieldCipher, Store } from '@rampart/sdk';

const WHERE = { table: 'identity_secrets', column: 'value' } as const;

/**
 * Returns the named set of random secrets every replica shares (e.g. the cookie-signing keys),
 * creating it on first use. The first replica to insert wins; the others read its value.
 *
 * @example
 * const cookieKeys = await sharedSecrets(store, cipher, 'cookie-keys', 2);
 */
export async function sharedSecrets(
  store: Store,
  cipher: FieldCipher,
  name: string,
  count: number,
): Promise<string[]> {
  const fresh = Array.from({ length: count }, () => randomBytes(32).toString('base64url'));
  const sealed = await cipher.encrypt(JSON.stringify(fresh), { ...WHERE, row: name });
  await store.run(
    'INSERT INTO identity_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
    [name, sealed, Date.now()],
  );
  const row = await store.get<{ value: string }>('SELECT value FROM identity_secrets WHERE name = ?', [name]);
  if (row === undefined) throw new TypeError(`secret ${name} vanished right after it was written`);
  return JSON.parse(await cipher.decrypt(row.value, { ...WHERE, row: name })) as string[];
}

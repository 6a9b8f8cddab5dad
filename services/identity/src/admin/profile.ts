import { AccountError } from '../accounts/index.ts';
// The field rules live with the accounts; they are not re-exported by accounts/index.ts yet.
import { checkDisplayName, checkEmail } from '../accounts/account-fields.ts';
import type { IdentityContext } from '../app.ts';
import { AdminError, fromAccountError } from './admin-error.ts';

/** Profile fields to change; null clears one. */
export interface ProfileChange {
  readonly displayName?: string | null;
  readonly email?: string | null;
}

/** Checks the fields with the accounts' own rules (400 `invalid_display_name` / `invalid_email`). */
export function checkProfile(change: ProfileChange): void {
  try {
    if (typeof change.displayName === 'string') checkDisplayName(change.displayName);
    if (typeof change.email === 'string') checkEmail(change.email);
  } catch (error) {
    if (error instanceof AccountError) throw fromAccountError(error.code, error.message);
    throw error;
  }
  if (typeof change.email === 'string') {
    // Setting an address means encrypting it with the identity keyring, which only the
    // AccountStore holds, and it has no method for it yet (AccountStore.updateProfile).
    throw new AdminError(
      501,
      'not_implemented',
      'email: setting an address is not available yet; null clears it.',
    );
  }
}

/**
 * Writes checked profile fields; true if the user exists. A stop-gap until the AccountStore
 * offers `updateProfile`: the display name is plain text, and clearing the e-mail clears its
 * ciphertext (setting one is refused by {@link checkProfile}).
 */
export async function saveProfile(
  identity: IdentityContext,
  userId: string,
  change: ProfileChange,
): Promise<boolean> {
  const sets: string[] = [];
  const values: (string | number | null)[] = [];
  if (change.displayName !== undefined) {
    sets.push('display_name = ?');
    values.push(change.displayName);
  }
  if (change.email === null) sets.push('email_enc = NULL');
  if (sets.length === 0) return false;
  const result = await identity.store.run(
    `UPDATE users SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`,
    [...values, Date.now(), userId],
  );
  return result.changes === 1;
}

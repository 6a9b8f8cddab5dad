import { AccountError, checkDisplayName, checkEmail, type ProfileChange } from '../accounts/index.ts';
import { fromAccountError } from './admin-error.ts';

export type { ProfileChange };

/**
 * Checks profile fields with the accounts' own rules (400 `invalid_display_name` /
 * `invalid_email`) before anything is written, so a request that also changes groups or roles is
 * refused as a whole.
 */
export function checkProfile(change: ProfileChange): void {
  try {
    if (typeof change.displayName === 'string') checkDisplayName(change.displayName);
    if (typeof change.email === 'string') checkEmail(change.email);
  } catch (error) {
    if (error instanceof AccountError) throw fromAccountError(error.code, error.message);
    throw error;
  }
}

/** True when the change names at least one field. */
export function changesProfile(change: ProfileChange): boolean {
  return change.displayName !== undefined || change.email !== undefined;
}

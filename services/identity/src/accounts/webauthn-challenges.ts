import { randomUUID } from 'node:crypto';
import type { Store } from '@rampart/sdk';

export type ChallengePurpose = 'register' | 'authenticate';

/** How long a WebAuthn challenge may be answered: 5 minutes (also the ceremony's `timeout`). */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;

export interface StoredChallenge {
  readonly challenge: string;
  /** The user the ceremony is for; null for a discoverable-credential sign-in. */
  readonly userId: string | null;
}

/**
 * Persists a challenge for one ceremony and returns its id (what the browser sends back beside the
 * response). Expired challenges are purged on the way, so the table holds only live ones.
 */
export async function saveChallenge(
  store: Store,
  entry: StoredChallenge & { readonly purpose: ChallengePurpose; readonly now: number },
): Promise<string> {
  const id = randomUUID();
  await store.run('DELETE FROM webauthn_challenges WHERE expires_at <= ?', [entry.now]);
  await store.run(
    'INSERT INTO webauthn_challenges (id, user_id, challenge, purpose, expires_at) VALUES (?, ?, ?, ?, ?)',
    [id, entry.userId, entry.challenge, entry.purpose, entry.now + CHALLENGE_TTL_MS],
  );
  return id;
}

/**
 * Takes a challenge out of the store: one atomic `DELETE … RETURNING`, so of two requests carrying
 * the same id at most one gets it, and a taken challenge can never be answered again. Undefined if
 * it does not exist, has another purpose, or has expired (an expired one is deleted all the same).
 */
export async function takeChallenge(
  store: Store,
  id: string,
  purpose: ChallengePurpose,
  now: number,
): Promise<StoredChallenge | undefined> {
  const row = await store.get<{ challenge: string; user_id: string | null; expires_at: number }>(
    'DELETE FROM webauthn_challenges WHERE id = ? AND purpose = ? RETURNING challenge, user_id, expires_at',
    [id, purpose],
  );
  if (row === undefined || row.expires_at <= now) return undefined;
  return { challenge: row.challenge, userId: row.user_id };
}

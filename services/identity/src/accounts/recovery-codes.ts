import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '@rampart/sdk';

/** How many codes a user gets at a time. */
export const RECOVERY_CODE_COUNT = 10;
/**
 * Characters per code: 24 × 5 bits = 120 bits of randomness each — above the 112 bits under which
 * ASVS 5.0 (V6.5.2) asks for a password hash, so a fast, user-bound hash is the right storage.
 * Shown in four groups of six (`formatRecoveryCode`); typed with or without the dashes.
 */
export const RECOVERY_CODE_LENGTH = 24;
/** 32 symbols without the look-alikes 0/O and 1/I (so each random byte's low 5 bits map without bias). */
export const RECOVERY_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

const CODE_SHAPE = new RegExp(`^[${RECOVERY_CODE_ALPHABET}]{${RECOVERY_CODE_LENGTH}}$`);

/** `count` distinct fresh codes, e.g. `7KQ2MXW9TDHR4PLZ8NCV3BYE`. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) {
    let code = '';
    for (const byte of randomBytes(RECOVERY_CODE_LENGTH)) code += RECOVERY_CODE_ALPHABET[byte & 31] ?? '';
    codes.add(code);
  }
  return [...codes];
}

/** A code as people read it: four groups of six, `7KQ2MX-W9TDHR-4PLZ8N-CV3BYE`. */
export function formatRecoveryCode(code: string): string {
  return code.match(/.{1,6}/g)?.join('-') ?? code;
}

/** A code as typed (any case, with spaces or dashes) in canonical form, or undefined if it cannot be one. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  return CODE_SHAPE.test(code) ? code : undefined;
}

/**
 * What is stored for a code: SHA-256 over a domain tag, the user id and the code. The codes are
 * random (120 bits), not chosen by people, so a fast hash is right — a slow one would protect
 * nothing more; binding the user id means a table dump must be attacked one user at a time.
 */
export function hashRecoveryCode(userId: string, code: string): Buffer {
  return createHash('sha256').update(`rampart/recovery-code/v1\0${userId}\0${code}`).digest();
}

/** Replaces all of a user's codes with fresh ones (run it inside a transaction) and returns them. */
export async function replaceRecoveryCodes(tx: Store, userId: string, now: number): Promise<string[]> {
  await tx.run('DELETE FROM recovery_codes WHERE user_id = ?', [userId]);
  const codes = generateRecoveryCodes();
  for (const code of codes) {
    await tx.run('INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)', [
      userId,
      hashRecoveryCode(userId, code),
      now,
    ]);
  }
  return codes;
}

/**
 * Spends one code: true once, false ever after. The lookup is by hash, so no comparison of secret
 * strings runs in JavaScript; the `used_at IS NULL` condition makes two simultaneous uses of one
 * code race inside the database, where exactly one wins.
 */
export async function spendRecoveryCode(
  store: Store,
  userId: string,
  input: string,
  now: number,
): Promise<boolean> {
  const code = normalizeRecoveryCode(input);
  if (code === undefined) return false;
  const result = await store.run(
    'UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL',
    [now, userId, hashRecoveryCode(userId, code)],
  );
  return result.changes === 1;
}

/** How many unused codes the user has left. */
export async function countRecoveryCodes(store: Store, userId: string): Promise<number> {
  const row = await store.get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL',
    [userId],
  );
  return row?.n ?? 0;
}

import { randomBytes } from 'node:crypto';
import type { FieldCipher, FieldContext, Store } from '@rampart/sdk';
import { Secret, TOTP } from 'otpauth';
import { AccountError } from './account-error.ts';
import { requireUser } from './memberships.ts';
import { countRecoveryCodes, replaceRecoveryCodes, spendRecoveryCode } from './recovery-codes.ts';

/**
 * What authenticator apps expect (RFC 6238 defaults; Google Authenticator ignores anything else):
 * HMAC-SHA1, 6 digits, 30-second steps, a 160-bit secret. A code is accepted one step early or late.
 */
export const TOTP_SETTINGS = Object.freeze({
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  window: 1,
  secretBytes: 20,
});

export interface TotpFactorsOptions {
  readonly store: Store;
  /** Encrypts the shared secrets at rest. */
  readonly cipher: FieldCipher;
  /** Epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

export interface TotpEnrollment {
  /** Base32, for typing into an app by hand. */
  readonly secret: string;
  /** `otpauth://totp/…`, for a QR code. */
  readonly uri: string;
}

export type TotpConfirmation =
  { readonly confirmed: true; readonly recoveryCodes: readonly string[] } | { readonly confirmed: false };

const CODE_SHAPE = /^\d{6}$/;

interface FactorRow {
  readonly secret_enc: string;
  readonly confirmed: number;
  readonly last_step: number;
}

/**
 * TOTP second factors with recovery codes. A factor is created unconfirmed by `begin`, becomes
 * usable once `confirm` sees a correct code (which also issues 10 single-use recovery codes), and
 * every later code is accepted at most once: the store keeps the last time step used and a code
 * of that step or an earlier one is refused, updated with a compare-and-set so that two requests
 * carrying the same code cannot both pass. Secrets are stored encrypted with the `FieldCipher`,
 * bound to their row. Guessing is limited by the caller (the brute-force guard applies to second
 * factors as well).
 *
 * @example
 * const totp = new TotpFactors({ store, cipher });
 * const { uri } = await totp.begin(user.id, { issuer: 'Rampart', label: user.username });
 * const result = await totp.confirm(user.id, codeFromApp); // shows result.recoveryCodes once
 * if (await totp.verify(user.id, codeAtLogin)) completeLogin();
 */
export class TotpFactors {
  readonly #store: Store;
  readonly #cipher: FieldCipher;
  readonly #now: () => number;

  constructor(options: TotpFactorsOptions) {
    this.#store = options.store;
    this.#cipher = options.cipher;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts enrolment: a fresh random secret, stored encrypted and unconfirmed (replacing an
   * unconfirmed one). `unknown_user`; `totp_exists` if a confirmed factor exists (remove it first).
   */
  async begin(
    userId: string,
    account: { readonly issuer: string; readonly label: string },
  ): Promise<TotpEnrollment> {
    await requireUser(this.#store, userId);
    const secret = new Secret({ buffer: toArrayBuffer(randomBytes(TOTP_SETTINGS.secretBytes)) });
    const secretEnc = await this.#cipher.encrypt(secret.base32, secretField(userId));
    const result = await this.#store.run(
      `INSERT INTO totp_factors (user_id, secret_enc, confirmed, last_step, created_at) VALUES (?, ?, 0, 0, ?)
       ON CONFLICT (user_id) DO UPDATE
         SET secret_enc = excluded.secret_enc, last_step = 0, created_at = excluded.created_at
         WHERE totp_factors.confirmed = 0`,
      [userId, secretEnc, this.#now()],
    );
    if (result.changes !== 1) throw new AccountError('totp_exists', 'Two-step verification is already on.');
    const totp = new TOTP({
      issuer: account.issuer,
      label: account.label,
      secret,
      algorithm: TOTP_SETTINGS.algorithm,
      digits: TOTP_SETTINGS.digits,
      period: TOTP_SETTINGS.period,
    });
    return { secret: secret.base32, uri: totp.toString() };
  }

  /**
   * Stores a secret generated elsewhere (seeded demo users, a migration from another system) as a
   * confirmed factor, replacing an unconfirmed one. The secret is base32 and carries at least 128
   * bits (RFC 4226 §4); anything else is a programmer's `TypeError`. `unknown_user`;
   * `totp_exists` if a confirmed factor exists. Issue recovery codes with `regenerateRecoveryCodes`.
   */
  async importConfirmed(userId: string, secretBase32: string): Promise<void> {
    const normalized = secretBase32.replace(/\s/g, '').replace(/=+$/, '').toUpperCase();
    if (!/^[A-Z2-7]{26,}$/.test(normalized))
      throw new TypeError('importConfirmed takes a base32 TOTP secret of at least 128 bits (26 characters)');
    await requireUser(this.#store, userId);
    const now = this.#now();
    const secretEnc = await this.#cipher.encrypt(normalized, secretField(userId));
    const result = await this.#store.run(
      `INSERT INTO totp_factors (user_id, secret_enc, confirmed, last_step, created_at, confirmed_at)
       VALUES (?, ?, 1, 0, ?, ?)
       ON CONFLICT (user_id) DO UPDATE
         SET secret_enc = excluded.secret_enc, confirmed = 1, last_step = 0,
             created_at = excluded.created_at, confirmed_at = excluded.confirmed_at
         WHERE totp_factors.confirmed = 0`,
      [userId, secretEnc, now, now],
    );
    if (result.changes !== 1) throw new AccountError('totp_exists', 'Two-step verification is already on.');
  }

  /**
   * Confirms an unconfirmed factor with a code from the app. On success the factor is on, the code
   * counts as used, and 10 fresh recovery codes are returned — the only time they can be shown.
   */
  async confirm(userId: string, code: string): Promise<TotpConfirmation> {
    const row = await this.#row(userId);
    if (row?.confirmed !== 0) return { confirmed: false };
    const step = await this.#matchingStep(userId, row, code);
    if (step === undefined) return { confirmed: false };
    const now = this.#now();
    return this.#store.transaction(async (tx) => {
      const result = await tx.run(
        `UPDATE totp_factors SET confirmed = 1, last_step = ?, confirmed_at = ?
          WHERE user_id = ? AND confirmed = 0 AND secret_enc = ?`,
        [step, now, userId, row.secret_enc],
      );
      if (result.changes !== 1) return { confirmed: false };
      return { confirmed: true, recoveryCodes: await replaceRecoveryCodes(tx, userId, now) };
    });
  }

  /**
   * Checks a login code against the confirmed factor: accepted within ±1 step, and only if its
   * step is later than the last accepted one (no replay, not even in parallel).
   */
  async verify(userId: string, code: string): Promise<boolean> {
    const row = await this.#row(userId);
    if (row?.confirmed !== 1) return false;
    const step = await this.#matchingStep(userId, row, code);
    if (step === undefined || step <= row.last_step) return false;
    const result = await this.#store.run(
      'UPDATE totp_factors SET last_step = ? WHERE user_id = ? AND confirmed = 1 AND last_step < ?',
      [step, userId, step],
    );
    return result.changes === 1;
  }

  /** Whether the user has a confirmed factor. */
  async hasTotp(userId: string): Promise<boolean> {
    return (await this.#row(userId))?.confirmed === 1;
  }

  /** Removes the factor (confirmed or not) and its recovery codes; false if there was none. */
  remove(userId: string): Promise<boolean> {
    return this.#store.transaction(async (tx) => {
      await tx.run('DELETE FROM recovery_codes WHERE user_id = ?', [userId]);
      return (await tx.run('DELETE FROM totp_factors WHERE user_id = ?', [userId])).changes === 1;
    });
  }

  /** Spends a recovery code: true once per code, false for anything else. */
  useRecoveryCode(userId: string, code: string): Promise<boolean> {
    return spendRecoveryCode(this.#store, userId, code, this.#now());
  }

  /** Replaces all recovery codes with 10 new ones; `totp_not_enabled` without a confirmed factor. */
  regenerateRecoveryCodes(userId: string): Promise<string[]> {
    return this.#store.transaction(async (tx) => {
      const factor = await tx.get('SELECT user_id FROM totp_factors WHERE user_id = ? AND confirmed = 1', [
        userId,
      ]);
      if (factor === undefined) throw new AccountError('totp_not_enabled', 'Two-step verification is off.');
      return replaceRecoveryCodes(tx, userId, this.#now());
    });
  }

  /** How many unused recovery codes the user has. */
  remainingRecoveryCodes(userId: string): Promise<number> {
    return countRecoveryCodes(this.#store, userId);
  }

  #row(userId: string): Promise<FactorRow | undefined> {
    return this.#store.get<FactorRow>(
      'SELECT secret_enc, confirmed, last_step FROM totp_factors WHERE user_id = ?',
      [userId],
    );
  }

  /** The time step `code` belongs to (within the window around now), or undefined. */
  async #matchingStep(userId: string, row: FactorRow, code: string): Promise<number | undefined> {
    const token = code.replace(/\s/g, '');
    if (!CODE_SHAPE.test(token)) return undefined;
    const secret = Secret.fromBase32(await this.#cipher.decrypt(row.secret_enc, secretField(userId)));
    const timestamp = this.#now();
    const delta = TOTP.validate({
      token,
      secret,
      algorithm: TOTP_SETTINGS.algorithm,
      digits: TOTP_SETTINGS.digits,
      period: TOTP_SETTINGS.period,
      timestamp,
      window: TOTP_SETTINGS.window,
    });
    if (delta === null) return undefined;
    return TOTP.counter({ period: TOTP_SETTINGS.period, timestamp }) + delta;
  }
}

function secretField(userId: string): FieldContext {
  return { table: 'totp_factors', column: 'secret_enc', row: userId };
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

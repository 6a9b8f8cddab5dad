import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Migration, Store } from '@rampart/sdk';

/**
 * The table behind {@link SubjectPseudonyms}: one row per user, the pseudonym security events give
 * that user's id under the key named by `key_id`. Deleted with the user (`AccountStore.deleteUser`
 * empties it in the same transaction; the foreign key cascades too).
 */
export const USER_PSEUDONYMS_MIGRATION: Migration = {
  id: 'accounts-0007-user-pseudonyms',
  sql: `CREATE TABLE user_pseudonyms (
          user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
          pseudonym TEXT NOT NULL,
          key_id TEXT NOT NULL
        );
        CREATE INDEX user_pseudonyms_pseudonym ON user_pseudonyms (pseudonym, key_id)`,
};

/** `ps_` + 128 bits, base64url: the shape of every pseudonym in a security event. */
export const PSEUDONYM_PATTERN = /^ps_[A-Za-z0-9_-]{22}$/;

/** Users indexed per transaction while catching up. */
const SYNC_BATCH = 500;

export interface SubjectPseudonymsOptions {
  readonly store: Store;
  /** The deployment's pseudonym key (at least 32 bytes): the one the SDK's `createSecurityEvents` uses. */
  readonly key: Uint8Array | KeyObject;
}

/**
 * Which user a pseudonym `ps_…` of a security event stands for. An HMAC cannot be reversed, so
 * identity keeps an index — `user_pseudonyms` — from each user's pseudonym to the user. A lookup
 * reads it (one indexed read); a pseudonym it does not hold makes it catch up ({@link sync}: the
 * users without an entry under the current key, by an anti-join of two primary keys, then one HMAC
 * per new user) and read again, so the index needs no hook where users are created. Computing every
 * user's pseudonym at each lookup instead costs one HMAC per user, on identity's event loop
 * (`bench/subject-reidentify.ts`). Rows carry the key's id: a new key makes every row stale and the
 * next catch-up rewrites them.
 *
 * A hit is checked again by recomputing the user's pseudonym and comparing it in constant time with
 * the one asked for: a row written by anyone but this code (or under a key that changed) resolves
 * to nobody.
 *
 * @example
 * const index = new SubjectPseudonyms({ store, key: subjectKey });
 * const userId = await index.userIdOf('ps_3q2-7w…'); // undefined: nobody has it
 */
export class SubjectPseudonyms {
  readonly #store: Store;
  readonly #key: KeyObject;
  readonly #keyId: string;
  #syncing: Promise<number> | undefined;

  constructor(options: SubjectPseudonymsOptions) {
    const key = options.key instanceof Uint8Array ? createSecretKey(options.key) : options.key;
    if ((key.symmetricKeySize ?? 0) < 32) throw new TypeError('the pseudonym key must be at least 32 bytes');
    this.#store = options.store;
    this.#key = key;
    // Names the key without revealing it: an HMAC under it of a label no subject can be.
    this.#keyId = createHmac('sha256', key)
      .update('\u0000rampart.user-pseudonyms.key-id.v1')
      .digest()
      .subarray(0, 12)
      .toString('base64url');
  }

  /** The pseudonym security events write for `userId` (the SDK's `pseudonym`). */
  pseudonymOf(userId: string): string {
    return `ps_${this.#digest(userId).toString('base64url')}`;
  }

  /**
   * The id of the user whose pseudonym is `pseudonym`, or undefined (no such user, a deleted one, or
   * a value that is no pseudonym). A pseudonym the index does not hold makes it catch up first
   * ({@link sync}), so a user created a moment ago is found.
   */
  async userIdOf(pseudonym: string): Promise<string | undefined> {
    if (!PSEUDONYM_PATTERN.test(pseudonym)) return undefined;
    const asked = Buffer.from(pseudonym.slice(3), 'base64url');
    if (asked.length !== 16) return undefined;
    const found = await this.#indexed(pseudonym, asked);
    if (found !== undefined) return found;
    await this.sync();
    return this.#indexed(pseudonym, asked);
  }

  /**
   * Indexes every user without an entry under the current key; resolves with how many. Concurrent
   * calls share one run; replicas on one database may run it at once (each write is an upsert).
   */
  sync(): Promise<number> {
    this.#syncing ??= this.#catchUp().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  /** The indexed user of `pseudonym`, checked by recomputing its pseudonym (constant time). */
  async #indexed(pseudonym: string, asked: Buffer): Promise<string | undefined> {
    const rows = await this.#store.all<{ user_id: string }>(
      `SELECT p.user_id FROM user_pseudonyms p JOIN users u ON u.id = p.user_id
        WHERE p.pseudonym = ? AND p.key_id = ?`,
      [pseudonym, this.#keyId],
    );
    let found: string | undefined;
    // Every candidate is checked (there is one, or none): the comparison does not stop early.
    for (const { user_id: userId } of rows) {
      if (timingSafeEqual(this.#digest(userId), asked)) found ??= userId;
    }
    return found;
  }

  async #catchUp(): Promise<number> {
    let indexed = 0;
    // Keyset paging in id order: one pass over the users, however many batches.
    let after = '';
    for (;;) {
      const missing = await this.#store.all<{ id: string }>(
        `SELECT u.id FROM users u LEFT JOIN user_pseudonyms p ON p.user_id = u.id AND p.key_id = ?
          WHERE p.user_id IS NULL AND u.id > ? ORDER BY u.id LIMIT ${SYNC_BATCH}`,
        [this.#keyId, after],
      );
      if (missing.length === 0) return indexed;
      // One statement per batch; only users that still exist (one deleted meanwhile is skipped,
      // never a foreign-key error). VALUES columns are column1, column2 on both engines.
      const params = [this.#keyId, ...missing.flatMap(({ id }) => [id, this.pseudonymOf(id)])];
      await this.#store.run(
        `INSERT INTO user_pseudonyms (user_id, pseudonym, key_id)
         SELECT u.id, v.column2, ? FROM (VALUES ${missing.map(() => '(?, ?)').join(', ')}) AS v
           JOIN users u ON u.id = v.column1
          WHERE true
         ON CONFLICT (user_id) DO UPDATE SET pseudonym = excluded.pseudonym, key_id = excluded.key_id`,
        params,
      );
      indexed += missing.length;
      if (missing.length < SYNC_BATCH) return indexed;
      after = missing[missing.length - 1]?.id ?? after;
    }
  }

  #digest(subject: string): Buffer {
    return createHmac('sha256', this.#key).update(subject, 'utf8').digest().subarray(0, 16);
  }
}

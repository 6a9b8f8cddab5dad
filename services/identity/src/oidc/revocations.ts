import type { Store } from '@rampart/sdk';

/**
 * `grant`: a token family (the `gid` claim); `subject`: every token of a user (`sub`), or a
 * client's own client-credentials tokens; `client`: every token issued to a client (`client_id`),
 * whoever it acted for — a client disabled or deleted.
 */
export type RevocationKind = 'grant' | 'subject' | 'client';

export interface Revocation {
  readonly seq: number;
  readonly kind: RevocationKind;
  readonly value: string;
  /** Epoch seconds: tokens with an `iat` before this are revoked. */
  readonly issuedBefore: number;
  /** Epoch seconds after which no covered token can still be alive. */
  readonly expiresAt: number;
}

interface Row {
  readonly seq: number | string;
  readonly kind: RevocationKind;
  readonly value: string;
  readonly issued_before: number | string;
  readonly expires_at: number | string;
}

/** The most a poll returns; a gateway far behind asks again from the last `seq`. */
const PAGE = 1000;

/**
 * The revocation feed. Access tokens are JWTs that the gateway verifies on its own, so revoking a
 * grant or signing a user out everywhere must also reach every gateway replica before those tokens
 * expire: identity records each revocation here, and gateways poll `since(seq)` (over mTLS, about
 * every half second) and refuse covered tokens. Entries live as long as the longest access token.
 *
 * @example
 * const feed = new Revocations(store, 600);
 * await feed.revokeGrant(grantId);
 * const { entries } = await feed.since(0);
 */
export class Revocations {
  readonly #store: Store;
  readonly #lifetimeSeconds: number;
  readonly #now: () => number;

  constructor(store: Store, accessTokenTtlSeconds: number, now: () => number = Date.now) {
    this.#store = store;
    // A token issued a moment before the revocation lives its whole TTL; add a minute of skew.
    this.#lifetimeSeconds = accessTokenTtlSeconds + 60;
    this.#now = now;
  }

  revokeGrant(grantId: string): Promise<void> {
    return this.#record('grant', grantId);
  }

  revokeSubject(subject: string): Promise<void> {
    return this.#record('subject', subject);
  }

  /** Every token issued to the client until now; in `within`'s transaction when given. */
  revokeClient(clientId: string, within?: Store): Promise<void> {
    return this.#record('client', clientId, within);
  }

  /**
   * Whether a token is covered by a revocation — the very check the gateway makes with the feed
   * (its grant, its subject or its client revoked after it was issued) — for answers identity
   * gives itself about self-contained tokens (introspection).
   */
  async covers(token: {
    readonly grantId?: string;
    readonly subject: string;
    readonly clientId: string;
    readonly issuedAt: number;
  }): Promise<boolean> {
    const row = await this.#store.get(
      "SELECT seq FROM revocations WHERE ((kind = 'grant' AND value = ?) OR (kind = 'subject' AND value = ?) OR (kind = 'client' AND value = ?)) AND issued_before > ? AND expires_at > ? LIMIT 1",
      [token.grantId ?? '', token.subject, token.clientId, token.issuedAt, this.#seconds()],
    );
    return row !== undefined;
  }

  /** Entries after `seq`, oldest first, and the `seq` to ask from next time. */
  async since(seq: number): Promise<{ entries: Revocation[]; next: number }> {
    const rows = await this.#store.all<Row>(
      'SELECT seq, kind, value, issued_before, expires_at FROM revocations WHERE seq > ? AND expires_at > ? ORDER BY seq LIMIT ?',
      [seq, this.#seconds(), PAGE],
    );
    const entries = rows.map((row) => ({
      seq: Number(row.seq),
      kind: row.kind,
      value: row.value,
      issuedBefore: Number(row.issued_before),
      expiresAt: Number(row.expires_at),
    }));
    return { entries, next: entries.at(-1)?.seq ?? seq };
  }

  async prune(): Promise<number> {
    const { changes } = await this.#store.run('DELETE FROM revocations WHERE expires_at <= ?', [
      this.#seconds(),
    ]);
    return changes;
  }

  async #record(kind: RevocationKind, value: string, store: Store = this.#store): Promise<void> {
    const now = this.#seconds();
    await store.run('INSERT INTO revocations (kind, value, issued_before, expires_at) VALUES (?, ?, ?, ?)', [
      kind,
      value,
      now + 1,
      now + this.#lifetimeSeconds,
    ]);
  }

  #seconds(): number {
    return Math.floor(this.#now() / 1000);
  }
}

import type { SqlValue, Store } from '@rampart/sdk';
import type { PageRequest } from './pagination.ts';

/** One of a user's sign-in sessions, as the admin API shows it: no cookie value, no token. */
export interface SessionView {
  /** The session's public id (`sid` in ID tokens), never its cookie value. */
  readonly id: string;
  /** ISO 8601, or null if unknown. */
  readonly signedInAt: string | null;
  readonly expiresAt: string | null;
  readonly amr: readonly string[];
  readonly acr: string | null;
  /** The clients that obtained tokens through this session. */
  readonly clients: readonly string[];
}

interface SessionRow {
  readonly uid: string;
  readonly payload: string;
  readonly expires_at: number | string | null;
}

interface SessionPayload {
  readonly loginTs?: number;
  readonly amr?: readonly string[];
  readonly acr?: string;
  readonly authorizations?: Readonly<Record<string, { readonly grantId?: string }>>;
}

/** Models oidc-provider keeps per account that are not the account's sessions or grants themselves. */
const NOT_ACCOUNT_STATE = 'Client';

/**
 * A user's live sign-in sessions, ordered by id, one page at a time (oidc-provider's `Session`
 * rows in `oidc_payloads`). Expired rows not yet swept are left out.
 */
export async function listSessions(
  store: Store,
  accountId: string,
  page: PageRequest,
  now: number = Date.now(),
): Promise<{ items: SessionView[]; nextKey: string | null }> {
  const params: SqlValue[] = [accountId, now];
  let sql = `SELECT uid, payload, expires_at FROM oidc_payloads
              WHERE model = 'Session' AND account_id = ? AND uid IS NOT NULL
                AND (expires_at IS NULL OR expires_at > ?)`;
  if (page.after !== null) {
    sql += ' AND uid > ?';
    params.push(page.after);
  }
  sql += ' ORDER BY uid LIMIT ?';
  params.push(page.limit + 1);
  const rows = await store.all<SessionRow>(sql, params);
  const items = rows.slice(0, page.limit).map(sessionView);
  return { items, nextKey: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}

/**
 * Ends one session of a user: deletes the session and every grant made through it, with their
 * refresh tokens, codes and stored access tokens, in one transaction. False if the user has no
 * session with that id. JWT access tokens already issued stay valid until they expire (5–15 min).
 */
export function revokeSession(store: Store, accountId: string, sessionId: string): Promise<boolean> {
  return store.transaction(async (tx) => {
    const row = await tx.get<SessionRow>(
      "SELECT uid, payload, expires_at FROM oidc_payloads WHERE model = 'Session' AND account_id = ? AND uid = ?",
      [accountId, sessionId],
    );
    if (row === undefined) return false;
    for (const grantId of grantIdsOf(parsePayload(row.payload))) {
      await tx.run('DELETE FROM oidc_payloads WHERE grant_id = ?', [grantId]);
      await tx.run("DELETE FROM oidc_payloads WHERE model = 'Grant' AND id = ? AND account_id = ?", [
        grantId,
        accountId,
      ]);
    }
    await tx.run("DELETE FROM oidc_payloads WHERE model = 'Session' AND account_id = ? AND uid = ?", [
      accountId,
      sessionId,
    ]);
    return true;
  });
}

/**
 * Signs a user out everywhere: deletes all of the account's sessions and grants, and everything
 * issued under those grants (refresh tokens above all), in one transaction. Returns how many
 * sessions there were. JWT access tokens already issued stay valid until they expire.
 */
export function revokeAllSessions(store: Store, accountId: string): Promise<number> {
  return store.transaction(async (tx) => {
    const count = await tx.get<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM oidc_payloads WHERE model = 'Session' AND account_id = ?",
      [accountId],
    );
    await tx.run(
      `DELETE FROM oidc_payloads
        WHERE grant_id IN (SELECT id FROM oidc_payloads WHERE model = 'Grant' AND account_id = ?)`,
      [accountId],
    );
    await tx.run('DELETE FROM oidc_payloads WHERE account_id = ? AND model <> ?', [accountId, NOT_ACCOUNT_STATE]);
    return Number(count?.n ?? 0);
  });
}

function sessionView(row: SessionRow): SessionView {
  const payload = parsePayload(row.payload);
  return {
    id: row.uid,
    signedInAt: typeof payload.loginTs === 'number' ? new Date(payload.loginTs * 1000).toISOString() : null,
    expiresAt: row.expires_at === null ? null : new Date(Number(row.expires_at)).toISOString(),
    amr: Array.isArray(payload.amr) ? payload.amr.filter((value) => typeof value === 'string') : [],
    acr: typeof payload.acr === 'string' ? payload.acr : null,
    clients: Object.keys(payload.authorizations ?? {}).sort(),
  };
}

function grantIdsOf(payload: SessionPayload): string[] {
  return Object.values(payload.authorizations ?? {})
    .map((authorization) => authorization.grantId)
    .filter((grantId): grantId is string => typeof grantId === 'string');
}

function parsePayload(text: string): SessionPayload {
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null ? (parsed as SessionPayload) : {};
}

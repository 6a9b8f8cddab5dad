import type { Store } from '@rampart/sdk';
import type { PayloadSealing } from '../oidc/payload-sealing.ts';
import type { Revocations } from '../oidc/revocations.ts';

/**
 * What reading and ending sessions needs: the store, the sealing of its payloads, and the
 * revocation feed the gateways follow.
 */
export interface SessionOwner {
  readonly store: Store;
  readonly sealing: PayloadSealing;
  readonly revocations: Revocations;
}

/** One of an account's sign-in sessions, as the account page and the admin API show it. */
export interface SessionSummary {
  /**
   * The session's `uid`: safe to show and to pass back to {@link endSession}. (The row id is the
   * keyed hash of the session cookie's value: it never leaves this module.)
   */
  readonly uid: string;
  /** When the user signed in (epoch seconds), if known. */
  readonly loginTs: number | null;
  readonly amr: readonly string[];
  readonly acr: string | null;
  /** Clients that obtained tokens through this session. */
  readonly clients: readonly string[];
  /** Epoch milliseconds. */
  readonly expiresAt: number | null;
}

/** A live session of some account: what the admin API's list of everyone signed in shows. */
export interface AccountSession extends SessionSummary {
  readonly accountId: string;
}

/** A page of {@link listAllSessions}: `nextAfter` is the uid to continue after, or null at the end. */
export interface AccountSessionPage {
  readonly items: readonly AccountSession[];
  readonly nextAfter: string | null;
}

/** How much {@link endSession} or {@link endAllSessions} removed. */
export interface EndedSessions {
  readonly sessions: number;
  /** Grants revoked, with every refresh token and authorization code issued under them. */
  readonly grants: number;
}

interface SessionRow {
  readonly id: string;
  readonly payload: string;
  readonly expires_at: number | string | null;
}

interface SessionPayload {
  readonly uid?: unknown;
  readonly loginTs?: unknown;
  readonly amr?: unknown;
  readonly acr?: unknown;
  readonly authorizations?: unknown;
}

/**
 * An account's live oidc-provider sessions (rows of `oidc_payloads`), newest sign-in first.
 *
 * @example
 * const sessions = await listSessions(identity, user.id);
 */
export async function listSessions(
  identity: Pick<SessionOwner, 'store' | 'sealing'>,
  accountId: string,
  now = Date.now(),
): Promise<SessionSummary[]> {
  const rows = await identity.store.all<SessionRow>(
    "SELECT id, payload, expires_at FROM oidc_payloads WHERE model = 'Session' AND account_id = ?",
    [accountId],
  );
  const live = rows.filter((row) => row.expires_at === null || Number(row.expires_at) > now);
  const summaries = await Promise.all(
    live.map(async (row) => summarize(row, await unseal(identity.sealing, row))),
  );
  return summaries
    .filter((summary): summary is SessionSummary => summary !== undefined)
    .sort((a, b) => (b.loginTs ?? 0) - (a.loginTs ?? 0));
}

/**
 * Every account's live sessions, by `uid`, `limit` at a time after the uid `after`: one indexed
 * query per page (`oidc_payloads (model, uid)`), however many users there are.
 *
 * @example
 * const { items, nextAfter } = await listAllSessions(identity, { after: null, limit: 50 });
 */
export async function listAllSessions(
  identity: Pick<SessionOwner, 'store' | 'sealing'>,
  page: { readonly after: string | null; readonly limit: number },
  now = Date.now(),
): Promise<AccountSessionPage> {
  const params: (string | number)[] = [now];
  let sql =
    "SELECT id, payload, expires_at, account_id, uid FROM oidc_payloads WHERE model = 'Session'" +
    ' AND account_id IS NOT NULL AND uid IS NOT NULL AND (expires_at IS NULL OR expires_at > ?)';
  if (page.after !== null) {
    sql += ' AND uid > ?';
    params.push(page.after);
  }
  sql += ' ORDER BY uid LIMIT ?';
  params.push(page.limit + 1);
  const rows = await identity.store.all<SessionRow & { account_id: string; uid: string }>(sql, params);
  const shown = rows.slice(0, page.limit);
  const items = await Promise.all(
    shown.map(async (row) => {
      const summary = summarize(row, await unseal(identity.sealing, row));
      // The indexed uid column and the sealed payload must agree, or the row is not shown.
      return summary === undefined || summary.uid !== row.uid
        ? undefined
        : { ...summary, accountId: row.account_id };
    }),
  );
  return {
    items: items.filter((item): item is AccountSession => item !== undefined),
    nextAfter: rows.length > page.limit ? (shown.at(-1)?.uid ?? null) : null,
  };
}

/**
 * Ends one of the account's sessions (by its `uid`) and revokes the grants made through it — so
 * the refresh tokens of the applications signed in there stop working. False if there is no such
 * session for this account.
 *
 * @example
 * await endSession(identity, user.id, summary.uid);
 */
export async function endSession(
  identity: SessionOwner,
  accountId: string,
  uid: string,
): Promise<EndedSessions | false> {
  const revoked: string[] = [];
  const ended = await identity.store.transaction(async (tx) => {
    const row = await tx.get<SessionRow>(
      "SELECT id, payload, expires_at FROM oidc_payloads WHERE model = 'Session' AND account_id = ? AND uid = ?",
      [accountId, uid],
    );
    if (row === undefined) return false;
    const grantIds = grantsOf(await unseal(identity.sealing, row));
    let grants = 0;
    for (const grantId of grantIds) {
      // Only this account's grants: a tampered payload could not name someone else's.
      const owned = await tx.get(
        "SELECT id FROM oidc_payloads WHERE model = 'Grant' AND id = ? AND account_id = ?",
        [grantId, accountId],
      );
      if (owned === undefined) continue;
      await tx.run('DELETE FROM oidc_payloads WHERE grant_id = ?', [grantId]);
      grants += (await tx.run("DELETE FROM oidc_payloads WHERE model = 'Grant' AND id = ?", [grantId]))
        .changes;
      revoked.push(grantId);
    }
    await tx.run("DELETE FROM oidc_payloads WHERE model = 'Session' AND id = ?", [row.id]);
    return { sessions: 1, grants };
  });
  // The gateways refuse the access tokens of these grants within a second (revocation feed).
  for (const grantId of revoked) await identity.revocations.revokeGrant(grantId);
  return ended;
}

/**
 * "Sign out everywhere": ends every session of the account and revokes all its grants, with the
 * refresh tokens and codes issued under them, in one transaction, then tells the gateways (the
 * revocation feed) to refuse every access token of the account issued so far.
 *
 * @example
 * const { sessions, grants } = await endAllSessions(identity, user.id);
 */
export async function endAllSessions(identity: SessionOwner, accountId: string): Promise<EndedSessions> {
  const ended = await identity.store.transaction(async (tx) => {
    await tx.run(
      "DELETE FROM oidc_payloads WHERE grant_id IN (SELECT id FROM oidc_payloads WHERE model = 'Grant' AND account_id = ?)",
      [accountId],
    );
    const grants = (
      await tx.run("DELETE FROM oidc_payloads WHERE model = 'Grant' AND account_id = ?", [accountId])
    ).changes;
    const sessions = (
      await tx.run("DELETE FROM oidc_payloads WHERE model = 'Session' AND account_id = ?", [accountId])
    ).changes;
    // Tokens carrying the account without a grant id (none today) and unfinished interactions.
    await tx.run('DELETE FROM oidc_payloads WHERE account_id = ?', [accountId]);
    return { sessions, grants };
  });
  // Every access token of the account already issued is refused by the gateways within a second.
  await identity.revocations.revokeSubject(accountId);
  return ended;
}

function summarize(row: SessionRow, payload: SessionPayload): SessionSummary | undefined {
  if (typeof payload.uid !== 'string') return undefined;
  const authorizations = record(payload.authorizations);
  return {
    uid: payload.uid,
    loginTs: typeof payload.loginTs === 'number' ? payload.loginTs : null,
    amr: Array.isArray(payload.amr) ? payload.amr.filter((v): v is string => typeof v === 'string') : [],
    acr: typeof payload.acr === 'string' ? payload.acr : null,
    clients: authorizations === undefined ? [] : Object.keys(authorizations).sort(),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

function grantsOf(payload: SessionPayload): string[] {
  const authorizations = record(payload.authorizations);
  if (authorizations === undefined) return [];
  return Object.values(authorizations)
    .map((entry) => record(entry)?.['grantId'])
    .filter((id): id is string => typeof id === 'string');
}

async function unseal(sealing: PayloadSealing, row: SessionRow): Promise<SessionPayload> {
  return record(await sealing.unseal('Session', row.id, row.payload)) ?? {};
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

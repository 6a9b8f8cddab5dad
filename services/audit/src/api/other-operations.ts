import type { AlertStore, StoredAlert } from '../detection/alert-store.ts';
import { hiddenEventDetail, type TrailVerification } from '../query/index.ts';
import type { ReadContext } from './admin-api.ts';
import { decodeCursor, encodeCursor, limitOf } from './query-params.ts';

/** What `GET /audit/v1/verify` answers. */
export interface VerifyAnswer {
  readonly ok: boolean;
  readonly events: number;
  readonly checkpoints: number;
  readonly problem?: { readonly seq: number; readonly kind: string; readonly message: string };
}

/**
 * The result of `verifyTrail` (what `rampart audit verify` runs) as the API shows it. The
 * service checks against its own export file; `rampart audit verify` also against the copy
 * `rampart up` keeps out of the service's reach, which only it can read.
 */
export function verifyAnswer({ result, hidden }: TrailVerification): VerifyAnswer {
  if (!result.ok) {
    const { problem } = result;
    return {
      ok: false,
      events: result.events,
      checkpoints: 0,
      problem: { seq: problem.seq, kind: problem.kind, message: problem.detail },
    };
  }
  if (hidden !== undefined) {
    return {
      ok: false,
      events: result.events,
      checkpoints: result.checkpoints,
      problem: { seq: hidden.seq, kind: 'search_index', message: hiddenEventDetail(hidden) },
    };
  }
  return { ok: true, events: result.events, checkpoints: result.checkpoints };
}

/** Most alerts per page of `GET /audit/v1/alerts` (default 50). */
export const MAX_ALERTS_LIMIT = 500;

/** `GET /audit/v1/alerts`: newest first, each with its seq and evidence (ledger seqs and event ids). */
export async function alertsPage(
  context: ReadContext,
  alerts: AlertStore,
): Promise<{ alerts: readonly StoredAlert[]; next: string | null }> {
  const limit = limitOf(context.query, 50, MAX_ALERTS_LIMIT);
  const before = decodeCursor(context.query.get('cursor'));
  const page = await alerts.list({ limit, ...(before === undefined ? {} : { before }) });
  return { alerts: page.alerts, next: page.before === undefined ? null : encodeCursor(page.before) };
}

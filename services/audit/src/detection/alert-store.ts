import type { Migration, Store } from '@rampart/sdk';
import type { Alert } from './alert.ts';

/**
 * The alerts the rules raised, kept in the audit service's store beside the ledger so that they
 * survive a restart and the console can list them with their evidence (ledger seqs and event ids).
 * Not part of the hash chain: an alert is a conclusion drawn from events, and its evidence points
 * at chained events that `rampart audit verify` checks.
 */
export const alertMigrations: readonly Migration[] = [
  {
    id: '0101-audit-alerts',
    sql: `CREATE TABLE audit_alerts (
            seq BIGINT PRIMARY KEY,
            id TEXT NOT NULL,
            time TEXT NOT NULL,
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,
            alert TEXT NOT NULL
          );
          CREATE UNIQUE INDEX audit_alerts_id ON audit_alerts (id)`,
  },
];

/** A stored alert: the alert as raised, and its place in the list (1, 2, 3…). */
export type StoredAlert = Alert & { readonly seq: number };

export interface AlertPage {
  readonly alerts: readonly StoredAlert[];
  /** Pass as `before` for the next (older) page; absent at the end. */
  readonly before?: number;
}

export interface AlertStore {
  /** Stores one alert; resolves with its seq (the existing one when its id is already stored). */
  add(alert: Alert): Promise<number>;
  /** Newest first, `limit` at a time, below `before` when given. */
  list(page: { readonly limit: number; readonly before?: number }): Promise<AlertPage>;
}

/**
 * Opens the alert table on `store` (applying its migration).
 *
 * @example
 * const alerts = await openAlertStore(store);
 * await alerts.add(alert);
 * const { alerts: newest } = await alerts.list({ limit: 50 });
 */
export async function openAlertStore(store: Store): Promise<AlertStore> {
  await store.migrate(alertMigrations);
  // One writer per process: serialized here, so two alerts never read the same head.
  let tail: Promise<unknown> = Promise.resolve();
  return {
    add(alert) {
      const write = tail.then(() =>
        store.transaction(async (tx) => {
          const existing = await tx.get<{ seq: unknown }>('SELECT seq FROM audit_alerts WHERE id = ?', [
            alert.id,
          ]);
          if (typeof existing?.seq === 'number') return existing.seq;
          const head = await tx.get<{ seq: unknown }>('SELECT MAX(seq) AS seq FROM audit_alerts');
          const seq = (typeof head?.seq === 'number' ? head.seq : Number(head?.seq ?? 0)) + 1;
          await tx.run(
            'INSERT INTO audit_alerts (seq, id, time, rule, severity, alert) VALUES (?, ?, ?, ?, ?, ?)',
            [seq, alert.id, alert.time, alert.rule, alert.severity, JSON.stringify(alert)],
          );
          return seq;
        }),
      );
      tail = write.catch(() => undefined);
      return write;
    },
    async list({ limit, before }) {
      const rows = await store.all<{ seq: unknown; alert: unknown }>(
        `SELECT seq, alert FROM audit_alerts ${before === undefined ? '' : 'WHERE seq < ?'} ORDER BY seq DESC LIMIT ?`,
        before === undefined ? [limit + 1] : [before, limit + 1],
      );
      const alerts: StoredAlert[] = [];
      for (const row of rows.slice(0, limit)) {
        if (typeof row.alert !== 'string') continue;
        const seq = Number(row.seq);
        alerts.push({ ...(JSON.parse(row.alert) as Alert), seq });
      }
      const last = alerts.at(-1);
      return rows.length > limit && last !== undefined ? { alerts, before: last.seq } : { alerts };
    },
  };
}

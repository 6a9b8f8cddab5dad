import { join } from 'node:path';

/** The embedded store's file in the audit service's state directory. */
export const LEDGER_FILE = 'audit.db';
/** The ledger's own copy of every checkpoint, in its state directory (the supervisor keeps another). */
export const CHECKPOINT_EXPORT_FILE = 'checkpoints.jsonl';
/**
 * The IPC message the audit service sends `rampart up` for each checkpoint it signs:
 * `{ type: 'audit.checkpoint', checkpoint: ExportedCheckpointJson }`.
 */
export const AUDIT_CHECKPOINT_MESSAGE = 'audit.checkpoint';

/** Where the audit trail of the audit service with state directory `stateDir` is stored. */
export function auditLedgerFile(stateDir: string): string {
  return join(stateDir, LEDGER_FILE);
}

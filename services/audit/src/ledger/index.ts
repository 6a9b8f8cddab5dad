export { canonicalJson, type JsonValue } from './canonical.ts';
export { ENTRY_HASH_PREFIX, GENESIS_HASH, entryHash, type LedgerEntry } from './entry.ts';
export type { AppendResult, AppendStatus, ChainHead } from './chain.ts';
export {
  CHECKPOINT_SIGNATURE_PREFIX,
  DEFAULT_CHECKPOINT_POLICY,
  checkpointPayload,
  checkpointSignatureValid,
  signCheckpoint,
  type Checkpoint,
  type CheckpointPolicy,
  type SignedCheckpoint,
} from './checkpoint.ts';
export {
  appendToExportFile,
  checkpointToJson,
  parseExportedCheckpoint,
  readExportFile,
  type ExportedCheckpointJson,
} from './export-file.ts';
export { SEARCH_COLUMNS_MIGRATION, ledgerMigrations } from './schema.ts';
export { openLedger, type Ledger, type LedgerOptions } from './ledger.ts';
export { verifyLedger, type LedgerRows, type VerifyOptions, type VerifyResult } from './verify.ts';
export { readEntryPages } from './rows.ts';
export {
  backfillSearchColumns,
  normalizeIp,
  normalizeTime,
  SEARCH_COLUMN_NAMES,
  searchColumns,
  type SearchColumns,
} from './search-columns.ts';
export { LedgerIntegrityError, type LedgerProblem, type LedgerProblemKind } from './problem.ts';

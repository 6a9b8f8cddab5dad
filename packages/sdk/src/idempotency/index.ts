export {
  IDEMPOTENCY_KEY_HEADER,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  parseIdempotencyKey,
  formatIdempotencyKey,
} from './idempotency-key-header.ts';
export {
  IDEMPOTENCY_TABLE,
  IDEMPOTENCY_KEY_TTL_MS,
  IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_MIGRATIONS,
  createIdempotencyRecords,
  type ClaimOutcome,
  type IdempotencyRecords,
  type IdempotencyRecordOptions,
} from './idempotency-records.ts';
export { IDEMPOTENCY_METHODS, registerIdempotency, type IdempotencyOptions } from './idempotency-hooks.ts';

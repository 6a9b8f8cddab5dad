import assert from 'node:assert/strict';
import { isRampartError, type ErrorCode } from '@rampart/errors';

/** Asserts that `fn` throws a RampartError with exactly `code` and a non-empty detail. */
export function assertCode(fn: () => unknown, code: ErrorCode, label = ''): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isRampartError(error), `${label}: expected a RampartError, got ${String(error)}`);
    assert.equal(error.code, code, `${label}: ${error.message}`);
    assert.ok(error.detail !== undefined && error.detail.length > 0, `${label}: detail missing`);
    return true;
  });
}

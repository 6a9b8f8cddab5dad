import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { workerCount } from '../../src/workers/index.ts';

describe('gateway.workers', () => {
  it('is one per core by default, or the number given, where a port can be shared', () => {
    assert.equal(workerCount(undefined, 'linux'), availableParallelism());
    assert.equal(workerCount('auto', 'linux'), availableParallelism());
    assert.equal(workerCount(3, 'linux'), 3);
  });

  it('is one where the platform cannot spread a port over several sockets (macOS, Windows)', () => {
    assert.equal(workerCount('auto', 'darwin'), 1);
    assert.equal(workerCount(4, 'win32'), 1);
  });
});

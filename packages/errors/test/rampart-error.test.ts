import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RampartError } from '@rampart/errors';

describe('RampartError', () => {
  it('takes no stack for a refusal of the client’s input (4xx): it is raised on every refused request', () => {
    const refusal = new RampartError('GW_TOKEN_MISSING', { detail: 'no Authorization header' });
    assert.equal(refusal.expose, true);
    assert.equal(refusal.stack, 'RampartError: Access token required: no Authorization header');
  });

  it('keeps the stack of an internal error (5xx), for the log', () => {
    const internal = new RampartError('SDK_INTERNAL', { detail: 'the store broke' });
    assert.equal(internal.expose, false);
    assert.match(internal.stack ?? '', /\n\s+at /u);
  });

  it('leaves the process-wide stack trace limit as it found it', () => {
    const before = Error.stackTraceLimit;
    new RampartError('GW_TOKEN_MISSING');
    new RampartError('SDK_INTERNAL');
    assert.equal(Error.stackTraceLimit, before);
    assert.match(new Error('plain').stack ?? '', /\n\s+at /u);
  });
});

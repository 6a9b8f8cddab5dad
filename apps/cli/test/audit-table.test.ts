import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fit, initialWidths, rowLine } from '../src/audit-table.ts';

const plain = (_color: unknown, text: string): string => text;
// eslint-disable-next-line no-control-regex -- what must never reach the terminal
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('audit table rows', () => {
  it('show a tampered value without its terminal controls (no cursor moves, no colours, no reordering)', () => {
    const hit = {
      seq: 7,
      id: 'e7',
      event: { event: 'login.failed', reason: 'bad\u001b[2J\u001b[31m', route: 'GET /x\u202e\r\nfake row' },
    };
    const line = rowLine(fit(initialWidths(), [hit]), hit, plain);
    assert.ok(!CONTROL.test(line), JSON.stringify(line));
    assert.match(line, /bad\?\[2J\?\[31m/);
    assert.equal(line.split('\n').length, 2, 'one row, one line');
  });

  it('any stored values: one line, no control character', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('event', 'reason', 'route', 'subject', 'time'), fc.string()),
        (event) => {
          const hit = { seq: 1, id: 'e1', event };
          const line = rowLine(fit(initialWidths(), [hit]), hit, plain);
          assert.ok(!CONTROL.test(line));
          assert.equal(line.indexOf('\n'), line.length - 1);
        },
      ),
    );
  });
});

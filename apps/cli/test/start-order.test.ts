import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RampartConfig } from '@rampart/config';
import { startOrder } from '../src/up/start-order.ts';

function config(services: Record<string, string[]>): RampartConfig {
  return {
    version: 1,
    name: 'order-test',
    services: Object.fromEntries(
      Object.entries(services).map(([name, callers], i) => [
        name,
        { entry: `${name}/main.ts`, port: 7000 + i, callers },
      ]),
    ),
  };
}

describe('startOrder', () => {
  it('starts a callee before its callers', () => {
    assert.deepEqual(
      startOrder(config({ orders: ['gateway'], payments: ['orders'], profiles: ['gateway'] })),
      ['payments', 'orders', 'profiles'],
    );
  });

  it('follows chains of calls', () => {
    assert.deepEqual(startOrder(config({ a: ['gateway'], b: ['a'], c: ['b'] })), ['c', 'b', 'a']);
  });

  it('still starts every service of a call cycle, in name order', () => {
    assert.deepEqual(startOrder(config({ x: ['y'], y: ['x'], z: [] })).sort(), ['x', 'y', 'z']);
    assert.equal(startOrder(config({ x: ['y'], y: ['x'] })).length, 2);
  });
});

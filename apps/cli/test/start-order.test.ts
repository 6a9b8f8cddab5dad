import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RampartConfig } from '@rampart/config';
import { startWaves } from '../src/up/start-order.ts';

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

describe('startWaves', () => {
  it('starts callees before their callers, and independent services together', () => {
    assert.deepEqual(
      startWaves(config({ orders: ['gateway'], payments: ['orders'], profiles: ['gateway'] })),
      [['payments', 'profiles'], ['orders']],
    );
  });

  it('follows chains of calls', () => {
    assert.deepEqual(startWaves(config({ a: ['gateway'], b: ['a'], c: ['b'] })), [['c'], ['b'], ['a']]);
  });

  it('still starts every service of a call cycle: the first by name alone, then the rest', () => {
    assert.deepEqual(startWaves(config({ x: ['y'], y: ['x'], z: [] })), [['z'], ['x'], ['y']]);
  });
});

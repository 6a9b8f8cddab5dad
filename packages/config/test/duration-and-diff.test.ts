import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDiff, parseDuration, type RampartConfig } from '@rampart/config';

describe('parseDuration', () => {
  const table: [string, number][] = [
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['14d', 1_209_600_000],
  ];
  for (const [text, ms] of table) {
    it(`${text} is ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }
  for (const bad of ['15x', '0s', '-1s', '1.5h', '', '99999999999999999d']) {
    it(`rejects ${JSON.stringify(bad)} with a TypeError naming the form`, () => {
      assert.throws(() => parseDuration(bad), {
        name: 'TypeError',
        message: /such as 500ms, 30s, 15m, 12h or 14d/,
      });
    });
  }
});

describe('configDiff', () => {
  const base: RampartConfig = {
    version: 1,
    name: 'shop',
    policies: { p: {} },
    services: {
      orders: { entry: 'o.ts', port: 7102, callers: ['gateway'] },
      payments: { entry: 'p.ts', port: 7103, callers: ['orders'] },
    },
  };

  it('finds nothing between equal configs', () => {
    assert.deepEqual(configDiff(base, structuredClone(base)), {
      changedServices: [],
      addedServices: [],
      removedServices: [],
      identityChanged: false,
      policiesChanged: false,
      portsChanged: false,
      otherChanged: [],
    });
  });

  it('names changed, added and removed services and the sections that changed', () => {
    const next: RampartConfig = {
      ...base,
      trustDomain: 'shop.local',
      demo: true,
      ports: { gateway: 9443 },
      policies: { p: { mfa: true } },
      services: {
        orders: { entry: 'o.ts', port: 7102, callers: ['gateway', 'profiles'] },
        profiles: { entry: 'pr.ts', port: 7101 },
      },
    };
    assert.deepEqual(configDiff(base, next), {
      changedServices: ['orders'],
      addedServices: ['profiles'],
      removedServices: ['payments'],
      identityChanged: true,
      policiesChanged: true,
      portsChanged: true,
      otherChanged: ['trustDomain'],
    });
  });

  it("leaves audit out of the keys that restart everything (the audit service's restart key holds it), not logs", () => {
    const next: RampartConfig = { ...base, audit: { checkpointEvery: 10 }, logs: { maxSizeMb: 1, keep: 2 } };
    assert.deepEqual(configDiff(base, next).otherChanged, ['logs']);
  });
});

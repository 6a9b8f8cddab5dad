import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  canonicalJson,
  entryHash,
  GENESIS_HASH,
  signCheckpoint,
  verifyLedger,
  type LedgerEntry,
} from '../../src/ledger/index.ts';
import { assertProblem, assertVerified } from './attacker.ts';
import { engines, keys, ledgerOn, sampleEvent, type TestDatabase } from './engines.ts';

/** A chain of `count` entries built in memory, as another store or an export of rows would give it. */
function chain(count: number): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  let prevHash: Uint8Array = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const event = canonicalJson(sampleEvent(seq));
    const hash = entryHash(prevHash, seq, `e${seq}`, event);
    entries.push({ seq, id: `e${seq}`, event, prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

describe('verifyLedger over rows instead of a store', () => {
  it('verifies an iterator of entries with its checkpoints', async () => {
    const entries = chain(20);
    const checkpoint = signCheckpoint(
      { seq: 10, head: entries[9]!.hash, time: '2026-12-07T00:00:00.000Z' },
      keys.privateKey,
    );
    async function* stream(): AsyncGenerator<LedgerEntry> {
      for (const entry of entries) yield await Promise.resolve(entry);
    }
    const result = await verifyLedger(
      { entries: stream(), checkpoints: [checkpoint] },
      { publicKey: keys.publicKey },
    );
    const { events, checkpoints, signedThrough } = assertVerified(result);
    assert.deepEqual([events, checkpoints, signedThrough], [20, 1, 10]);
  });

  it('names a second entry with the same seq as inserted', async () => {
    const entries = chain(10);
    const copy = { ...entries[4]!, id: 'again' };
    const rows = [...entries.slice(0, 5), copy, ...entries.slice(5)];
    assertProblem(
      await verifyLedger({ entries: rows, checkpoints: [] }, { publicKey: keys.publicKey }),
      'inserted',
      5,
      'again',
    );
  });

  it('names an exact copy of an earlier entry stored further on', async () => {
    const entries = chain(10);
    const rows = [...entries.slice(0, 6), { ...entries[3]!, seq: 7 }, ...entries.slice(7)];
    assertProblem(
      await verifyLedger({ entries: rows, checkpoints: [] }, { publicKey: keys.publicKey }),
      'inserted',
      7,
      'e4',
    );
  });

  it('verifies an empty ledger', async () => {
    const result = await verifyLedger({ entries: [], checkpoints: [] }, { publicKey: keys.publicKey });
    const { events, head } = assertVerified(result);
    assert.deepEqual([events, head.seq], [0, 0]);
  });
});

describe('verifyLedger pages through a store larger than one page', () => {
  let db: TestDatabase;
  before(async () => {
    db = await engines[0]!.create();
  });
  after(async () => {
    await db.drop();
  });

  it('reads 4,500 entries and 45 checkpoints in pages of 2,000 and finds a change in the last page', async () => {
    const ledger = await ledgerOn(db, { checkpointEvery: { events: 100, seconds: 3600 } });
    for (let n = 0; n < 4500; n += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => ledger.append(`p${n + i}`, sampleEvent(n + i))),
      );
    }
    await ledger.close();
    const result = await verifyLedger(db.store, { publicKey: keys.publicKey });
    const { events, checkpoints } = assertVerified(result);
    assert.deepEqual([events, checkpoints], [4500, 45]);
    await db.store.run("UPDATE audit_entries SET event = '{}' WHERE seq = 4321");
    assertProblem(await verifyLedger(db.store, { publicKey: keys.publicKey }), 'modified', 4321);
  });
});

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import type { SqlValue } from '@rampart/sdk';
import { canonicalJson, verifyLedger, type JsonValue } from '../../src/ledger/index.ts';
import { rowAt, type StoredRow } from './attacker.ts';
import { fill, forEachEngine, keys, ledgerOn, type TestDatabase } from './engines.ts';

const EVENTS = 30;

type Mutation =
  | { readonly column: 'event'; readonly text: string }
  | { readonly column: 'id'; readonly id: string }
  | { readonly column: 'hash' | 'prev_hash'; readonly bit: number }
  | { readonly column: 'seq'; readonly to: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .oneof(
      fc.jsonValue().map((value) => canonicalJson(value as JsonValue)),
      fc.string(),
    )
    .map((text) => ({
      column: 'event' as const,
      text,
    })),
  fc.string({ minLength: 1, maxLength: 40 }).map((id) => ({ column: 'id' as const, id: `m-${id}` })),
  fc.record({
    column: fc.constantFrom('hash' as const, 'prev_hash' as const),
    bit: fc.integer({ min: 0, max: 255 }),
  }),
  fc
    .oneof(fc.integer({ min: EVENTS + 1, max: EVENTS + 100 }), fc.integer({ min: -100, max: 0 }))
    .map((to) => ({ column: 'seq' as const, to })),
);

function flipBit(bytes: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

forEachEngine('any single change to a stored row is detected and named at its seq (property)', (engine) => {
  let db: TestDatabase;
  before(async () => {
    db = await engine.create();
    const ledger = await fill(await ledgerOn(db), EVENTS);
    await ledger.close();
  });
  after(async () => {
    await db.drop();
  });

  it('event JSON, id, hash, prev_hash or seq of any row', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: EVENTS }), mutation, async (seq, change) => {
        const original = await rowAt(db.store, seq);
        const [set, value, restore] = apply(change, original);
        fc.pre(!(change.column === 'event' && change.text === original.event));
        // rampart-ignore code/sql-injection `set` is a column name from this test's own mutation table
        await db.store.run(`UPDATE audit_entries SET ${set} = ? WHERE seq = ?`, [value, seq]);
        try {
          const result = await verifyLedger(db.store, { publicKey: keys.publicKey });
          if (result.ok) assert.fail(`${change.column} at ${seq} went unnoticed`);
          const { kind, seq: named, id } = result.problem;
          if (change.column !== 'seq') assert.deepEqual([kind, named], ['modified', seq]);
          else if (change.to > EVENTS) assert.deepEqual([kind, named], ['deleted', seq]);
          else assert.deepEqual([kind, named, id], ['inserted', change.to, original.id]);
        } finally {
          // rampart-ignore code/sql-injection column names from this test's own mutation table
          await db.store.run(`UPDATE audit_entries SET ${set} = ? WHERE ${restore.where} = ?`, [
            restore.value,
            change.column === 'seq' ? change.to : seq,
          ]);
        }
      }),
      { numRuns: engine.name === 'embedded' ? 300 : 60 },
    );
    assert.equal(
      (await verifyLedger(db.store, { publicKey: keys.publicKey })).ok,
      true,
      'every change undone',
    );
  });
});

/** The column to set, its new value, and how to put the original back. */
function apply(change: Mutation, row: StoredRow): [string, SqlValue, { where: string; value: SqlValue }] {
  switch (change.column) {
    case 'event':
      return ['event', change.text, { where: 'seq', value: row.event }];
    case 'id':
      return ['id', change.id, { where: 'seq', value: row.id }];
    case 'hash':
    case 'prev_hash':
      return [
        change.column,
        flipBit(row[change.column], change.bit),
        { where: 'seq', value: row[change.column] },
      ];
    case 'seq':
      return ['seq', change.to, { where: 'seq', value: row.seq }];
  }
}

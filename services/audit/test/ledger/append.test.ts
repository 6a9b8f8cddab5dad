import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { openLedger, verifyLedger, type Ledger } from '../../src/ledger/index.ts';
import { assertVerified } from './attacker.ts';
import { fill, forEachEngine, keys, ledgerOn, sampleEvent, type TestDatabase } from './engines.ts';

forEachEngine('ledger appends', (engine) => {
  let db: TestDatabase;
  let ledger: Ledger;
  before(async () => {
    db = await engine.create();
    ledger = await ledgerOn(db, { checkpointEvery: { events: 50, seconds: 3600 } });
  });
  after(async () => {
    await ledger.close();
    await db.drop();
  });

  it('numbers entries 1, 2, 3… and chains each on the previous hash', async () => {
    await fill(ledger, 5);
    const rows = await db.store.all<{ seq: number; prev_hash: Uint8Array; hash: Uint8Array }>(
      'SELECT seq, prev_hash, hash FROM audit_entries ORDER BY seq',
    );
    assert.deepEqual(
      rows.map((row) => row.seq),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(Buffer.from(rows[0]!.prev_hash), Buffer.alloc(32));
    for (let i = 1; i < rows.length; i++)
      assert.deepEqual(Buffer.from(rows[i]!.prev_hash), Buffer.from(rows[i - 1]!.hash));
    assert.deepEqual(await ledger.head(), { seq: 5, hash: rows[4]!.hash });
  });

  it('stores the event as its canonical JSON text', async () => {
    const { seq } = await ledger.append('canonical-1', { z: 1, a: { y: [true, null], b: 'x' } });
    const row = await db.store.get<{ event: string }>('SELECT event FROM audit_entries WHERE seq = ?', [seq]);
    assert.equal(row?.event, '{"a":{"b":"x","y":[true,null]},"z":1}');
  });

  it('is idempotent on the event id: a redelivery returns the existing seq', async () => {
    const first = await ledger.append('redelivered', sampleEvent(1));
    const again = await ledger.append('redelivered', {
      n: 1,
      detail: { route: '/orders/{id}' },
      outcome: 'success',
      type: 'token.issued',
    });
    assert.deepEqual(first.status, 'appended');
    assert.deepEqual(again, { seq: first.seq, status: 'duplicate' });
    const other = await ledger.append('redelivered', sampleEvent(2));
    assert.deepEqual(other, { seq: first.seq, status: 'conflict' }, 'the stored event stays');
    const count = await db.store.get<{ c: number }>(
      "SELECT COUNT(*) AS c FROM audit_entries WHERE id = 'redelivered'",
    );
    assert.equal(count?.c, 1);
  });

  it('gives many concurrent appends distinct, gap-free seqs on one chain', async () => {
    const before = (await ledger.head()).seq;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => ledger.append(`concurrent-${i}`, sampleEvent(i))),
    );
    const seqs = results.map((result) => result.seq).sort((a, b) => a - b);
    assert.deepEqual(
      seqs,
      Array.from({ length: 300 }, (_, i) => before + 1 + i),
    );
    const verified = await verifyLedger(db.store, { publicKey: keys.publicKey });
    assert.equal(assertVerified(verified).events, before + 300);
  });

  it('appends one entry for the same id sent twice at once', async () => {
    const [a, b] = await Promise.all([
      ledger.append('twice', sampleEvent(7)),
      ledger.append('twice', sampleEvent(7)),
    ]);
    assert.equal(a.seq, b.seq);
    assert.deepEqual([a.status, b.status].sort(), ['appended', 'duplicate']);
  });

  it(
    'keeps one chain when two replicas append to the same database at once',
    { skip: !engine.concurrentReplicas && 'one process per embedded database' },
    async () => {
      const replica = await openLedger({
        store: db.openReplica(),
        signingKey: keys.privateKey,
        exportFile: `${db.dir}/replica-checkpoints.jsonl`,
        checkpointEvery: { events: 50, seconds: 3600 },
        onError: (error) => {
          throw error;
        },
      });
      try {
        const start = (await ledger.head()).seq;
        const sent = Array.from({ length: 120 }, (_, i) => [
          ledger.append(`replicas-${i}`, sampleEvent(i)),
          replica.append(`replicas-${i % 2 === 0 ? i : `b${i}`}`, sampleEvent(i)),
        ]).flat();
        const results = await Promise.all(sent);
        const distinct = new Set(results.map((result) => result.seq));
        assert.equal(distinct.size, 120 + 60, 'even ids sent by both replicas were appended once');
        const verified = await verifyLedger(db.store, { publicKey: keys.publicKey });
        assert.equal(assertVerified(verified).head.seq, start + 180);
      } finally {
        await replica.close();
      }
    },
  );

  it('refuses what it cannot store with a TypeError, and nothing after close', async () => {
    await assert.rejects(ledger.append('', sampleEvent(1)), TypeError);
    await assert.rejects(ledger.append('x'.repeat(257), sampleEvent(1)), TypeError);
    await assert.rejects(ledger.append('lone-\ud800', sampleEvent(1)), TypeError);
    await assert.rejects(ledger.append('nan', { n: Number.NaN }), TypeError);
    const closing = await ledgerOn(db);
    await closing.close();
    await assert.rejects(closing.append('late', sampleEvent(1)), /closed/);
  });
});

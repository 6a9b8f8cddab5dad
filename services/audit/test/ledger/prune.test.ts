import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import {
  LedgerIntegrityError,
  readExportFile,
  verifyLedger,
  type Ledger,
  type VerifyResult,
} from '../../src/ledger/index.ts';
import { assertProblem, assertVerified, insertForged } from './attacker.ts';
import { exportFileOf, fill, forEachEngine, keys, ledgerOn, type TestDatabase } from './engines.ts';

forEachEngine('retention: prune', (engine) => {
  let db: TestDatabase;
  let ledger: Ledger;
  const verify = async (withExport = false): Promise<VerifyResult> =>
    verifyLedger(db.store, {
      publicKey: keys.publicKey,
      ...(withExport ? { exportedCheckpoints: await readExportFile(exportFileOf(db)) } : {}),
    });

  beforeEach(async () => {
    db = await engine.create();
    ledger = await fill(await ledgerOn(db), 45); // checkpoints at 10, 20, 30, 40
  });
  afterEach(async () => {
    await ledger.close();
    await db.drop();
  });

  it('deletes through a checkpointed seq, signs the pruning, and verification starts from there', async () => {
    const checkpoint = await ledger.prune(20);
    assert.deepEqual([checkpoint.seq, checkpoint.prunedThrough], [45, 20]);
    const first = await db.store.get<{ seq: number }>('SELECT MIN(seq) AS seq FROM audit_entries');
    assert.equal(first?.seq, 21);
    for (const withExport of [false, true]) {
      const result = await verify(withExport);
      const { events, prunedThrough, head } = assertVerified(result);
      assert.deepEqual([events, prunedThrough, head.seq], [25, 20, 45]);
    }
    await fill(ledger, 10, 100);
    await ledger.prune(40);
    const again = await verify(true);
    const { events, prunedThrough, head } = assertVerified(again);
    assert.deepEqual([events, prunedThrough, head.seq], [15, 40, 55]);
  });

  it('a pruned ledger still names tampering', async () => {
    await ledger.prune(20);
    await db.store.run("UPDATE audit_entries SET event = '{}' WHERE seq = 30");
    assertProblem(await verify(), 'modified', 30);
  });

  it('entries deleted after the pruned range are named', async () => {
    await ledger.prune(20);
    await db.store.run('DELETE FROM audit_entries WHERE seq IN (21, 22)');
    assertProblem(await verify(true), 'deleted', 21);
  });

  it('without its signed record, a pruning is a deletion — unless the export proves it', async () => {
    await ledger.prune(20);
    await db.store.run('DELETE FROM audit_checkpoints WHERE pruned_through IS NOT NULL');
    assertProblem(await verify(), 'deleted', 1);
    assertVerified(await verify(true));
  });

  it('deleting entries and claiming a pruning that was never signed is a deletion', async () => {
    await db.store.run('DELETE FROM audit_entries WHERE seq <= 20');
    await db.store.run('UPDATE audit_checkpoints SET pruned_through = 20 WHERE seq = 40');
    assertProblem(await verify(), 'deleted', 1);
  });

  it('an entry slipped in before the pruned range is named', async () => {
    await ledger.prune(20);
    await insertForged(db.store, 5, 'old', '{}', Buffer.alloc(32));
    assertProblem(await verify(), 'inserted', 5, 'old');
  });

  it('refuses a seq without a checkpoint, the head, and what is already pruned', async () => {
    await assert.rejects(ledger.prune(15), /no checkpoint/);
    await assert.rejects(ledger.prune(45), /keeps the head/);
    await assert.rejects(ledger.prune(0), TypeError);
    await ledger.prune(20);
    await assert.rejects(ledger.prune(20), /already pruned/);
  });

  it('refuses to delete entries that do not verify: the evidence stays', async () => {
    await db.store.run("UPDATE audit_entries SET event = '{}' WHERE seq = 7");
    await assert.rejects(ledger.prune(20), (error: unknown) => {
      assert.ok(error instanceof LedgerIntegrityError);
      assert.deepEqual([error.problem.kind, error.problem.seq], ['modified', 7]);
      return true;
    });
    const count = await db.store.get<{ c: number }>('SELECT COUNT(*) AS c FROM audit_entries');
    assert.equal(count?.c, 45);
  });
});

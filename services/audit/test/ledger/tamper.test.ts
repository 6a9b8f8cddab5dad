import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { afterEach, beforeEach, it } from 'node:test';
import {
  canonicalJson,
  checkpointToJson,
  readExportFile,
  signCheckpoint,
  verifyLedger,
  type SignedCheckpoint,
  type VerifyResult,
} from '../../src/ledger/index.ts';
import { assertProblem, assertVerified, insertForged, rehash, renumber, rowAt } from './attacker.ts';
import {
  exportFileOf,
  fill,
  forEachEngine,
  keys,
  ledgerOn,
  sampleEvent,
  type TestDatabase,
} from './engines.ts';

/** 45 entries, checkpoints at 10, 20, 30, 40 (every 10) and 45 (at close), all exported. */
const EVENTS = 45;

forEachEngine('tampering is detected and named', (engine) => {
  let db: TestDatabase;
  let exported: SignedCheckpoint[];
  const verify = (withExport = false): Promise<VerifyResult> =>
    verifyLedger(db.store, {
      publicKey: keys.publicKey,
      ...(withExport ? { exportedCheckpoints: exported } : {}),
    });

  beforeEach(async () => {
    db = await engine.create();
    const ledger = await fill(await ledgerOn(db), EVENTS);
    await ledger.close();
    exported = await readExportFile(exportFileOf(db));
  });
  afterEach(async () => {
    await db.drop();
  });

  it('an untouched ledger verifies, with every checkpoint', async () => {
    const result = await verify(true);
    assert.deepEqual(result, {
      ok: true,
      events: EVENTS,
      checkpoints: 5,
      exportedCheckpoints: 5,
      head: { seq: EVENTS, hash: (await rowAt(db.store, EVENTS)).hash },
      prunedThrough: 0,
      signedThrough: EVENTS,
    });
  });

  it('modified: a field of an event', async () => {
    const row = await rowAt(db.store, 17);
    await db.store.run('UPDATE audit_entries SET event = ? WHERE seq = 17', [
      row.event.replace('success', 'failure'),
    ]);
    assertProblem(await verify(), 'modified', 17, 'e17');
  });

  it('modified: an event id', async () => {
    await db.store.run("UPDATE audit_entries SET id = 'e17-forged' WHERE seq = 17");
    assertProblem(await verify(), 'modified', 17, 'e17-forged');
  });

  it('modified: an event rewritten with its hash recomputed (the next entry still names the original)', async () => {
    await db.store.run('UPDATE audit_entries SET event = ? WHERE seq = 17', [
      canonicalJson({ type: 'nothing' }),
    ]);
    await rehash(db.store, 17);
    assertProblem(await verify(), 'modified', 17, 'e17');
  });

  it('bad_checkpoint: an event rewritten and the whole chain after it re-hashed', async () => {
    await db.store.run('UPDATE audit_entries SET event = ? WHERE seq = 17', [
      canonicalJson({ type: 'nothing' }),
    ]);
    await rehash(db.store, 17, true);
    assertProblem(await verify(), 'bad_checkpoint', 20);
  });

  it('truncated: the same, with the stored checkpoints deleted too — only the export shows it', async () => {
    await db.store.run('UPDATE audit_entries SET event = ? WHERE seq = 17', [
      canonicalJson({ type: 'nothing' }),
    ]);
    await rehash(db.store, 17, true);
    await db.store.run('DELETE FROM audit_checkpoints WHERE seq >= 20');
    const alone = await verify();
    assert.equal(
      assertVerified(alone).signedThrough,
      10,
      'without the export, only seq 1-10 are vouched for',
    );
    assertProblem(await verify(true), 'truncated', 20);
  });

  it('deleted: a row in the middle', async () => {
    await db.store.run('DELETE FROM audit_entries WHERE seq = 17');
    assertProblem(await verify(), 'deleted', 17);
  });

  it('deleted: a row in the middle, the following renumbered', async () => {
    await db.store.run('DELETE FROM audit_entries WHERE seq = 17');
    await renumber(db.store, 18, -1);
    assertProblem(await verify(), 'deleted', 17);
  });

  it('deleted: the first row', async () => {
    await db.store.run('DELETE FROM audit_entries WHERE seq = 1');
    assertProblem(await verify(), 'deleted', 1);
  });

  it('inserted: a well-formed forged row, the following renumbered', async () => {
    const previous = await rowAt(db.store, 16);
    await renumber(db.store, 17, 1);
    await insertForged(db.store, 17, 'forged', canonicalJson(sampleEvent(99)), previous.hash);
    assertProblem(await verify(), 'inserted', 17, 'forged');
  });

  it('inserted: a junk row, the following renumbered', async () => {
    await renumber(db.store, 17, 1);
    await db.store.run(
      'INSERT INTO audit_entries (seq, id, event, prev_hash, hash) VALUES (17, ?, ?, ?, ?)',
      ['junk', '{}', Buffer.alloc(32, 1), Buffer.alloc(32, 2)],
    );
    assertProblem(await verify(), 'inserted', 17, 'junk');
  });

  it('inserted: a well-formed row that does not continue the chain', async () => {
    await insertForged(db.store, EVENTS + 1, 'tail', '{}', Buffer.alloc(32, 9));
    assertProblem(await verify(), 'inserted', EVENTS + 1, 'tail');
  });

  it('a forged row appended after the last checkpoint chains: it is reported as not signed', async () => {
    await insertForged(db.store, EVENTS + 1, 'tail', '{}', (await rowAt(db.store, EVENTS)).hash);
    const result = await verify(true);
    const { head, signedThrough } = assertVerified(result);
    assert.deepEqual([head.seq, signedThrough], [EVENTS + 1, EVENTS]);
  });

  it('reordered: two rows swapped', async () => {
    await db.store.run('UPDATE audit_entries SET seq = -1 WHERE seq = 17');
    await db.store.run('UPDATE audit_entries SET seq = 17 WHERE seq = 18');
    await db.store.run('UPDATE audit_entries SET seq = 18 WHERE seq = -1');
    assertProblem(await verify(), 'reordered', 17, 'e18');
  });

  it('reordered: a row moved five places later', async () => {
    await db.store.run('UPDATE audit_entries SET seq = -1 WHERE seq = 17');
    await renumber(db.store, 18, -1);
    await renumber(db.store, 22, 1);
    await db.store.run('UPDATE audit_entries SET seq = 22 WHERE seq = -1');
    assertProblem(await verify(), 'reordered', 17, 'e18');
  });

  it('truncated: the tail and its checkpoints deleted — undetectable without the export', async () => {
    await db.store.run('DELETE FROM audit_entries WHERE seq > 38');
    await db.store.run('DELETE FROM audit_checkpoints WHERE seq > 38');
    const alone = await verify();
    assert.equal(assertVerified(alone).events, 38, 'the store alone is consistent');
    assertProblem(await verify(true), 'truncated', 39);
  });

  it('truncated: the tail deleted, a stored checkpoint still names it', async () => {
    await db.store.run('DELETE FROM audit_entries WHERE seq > 38');
    assertProblem(await verify(), 'truncated', 39);
  });

  it('truncated: the tail replaced by other well-formed entries', async () => {
    await db.store.run('DELETE FROM audit_entries WHERE seq > 38');
    await db.store.run('DELETE FROM audit_checkpoints WHERE seq > 38');
    let previous = (await rowAt(db.store, 38)).hash;
    for (let seq = 39; seq <= EVENTS; seq++) {
      await insertForged(db.store, seq, `other-${seq}`, '{}', previous);
      previous = (await rowAt(db.store, seq)).hash;
    }
    assertVerified(await verify());
    assertProblem(await verify(true), 'truncated', 40);
  });

  it('bad_checkpoint: a stored checkpoint whose head was changed', async () => {
    await db.store.run('UPDATE audit_checkpoints SET head = ? WHERE seq = 20', [Buffer.alloc(32, 3)]);
    assertProblem(await verify(), 'bad_checkpoint', 20);
  });

  it('bad_checkpoint: a checkpoint signed with another key', async () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = signCheckpoint(
      { seq: 30, head: (await rowAt(db.store, 30)).hash, time: new Date().toISOString() },
      other,
    );
    await db.store.run(
      'INSERT INTO audit_checkpoints (n, seq, head, time, pruned_through, signature) VALUES (100, ?, ?, ?, NULL, ?)',
      [forged.seq, forged.head, forged.time, forged.signature],
    );
    assertProblem(await verify(), 'bad_checkpoint', 30);
  });

  it('bad_checkpoint: a forged line in the export file', async () => {
    const forged = { ...exported[1]!, seq: 21 };
    appendFileSync(exportFileOf(db), `${JSON.stringify(checkpointToJson(forged))}\n`);
    assertProblem(
      await verifyLedger(db.store, {
        publicKey: keys.publicKey,
        exportedCheckpoints: await readExportFile(exportFileOf(db)),
      }),
      'bad_checkpoint',
      21,
    );
  });

  it('modified: a field of the wrong type (the embedded engine does not enforce column types)', async () => {
    await db.store.run("UPDATE audit_entries SET hash = 'x' WHERE seq = 5");
    assertProblem(await verify(), 'modified', 5);
  });
});

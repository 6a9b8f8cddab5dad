import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import {
  checkpointPayload,
  checkpointSignatureValid,
  openLedger,
  readExportFile,
  signCheckpoint,
  verifyLedger,
} from '../../src/ledger/index.ts';
import { assertVerified } from './attacker.ts';
import {
  exportFileOf,
  fill,
  forEachEngine,
  keys,
  ledgerOn,
  sampleEvent,
  type TestDatabase,
} from './engines.ts';

const storedCheckpoints = (db: TestDatabase): Promise<{ seq: number; pruned_through: number | null }[]> =>
  db.store.all('SELECT seq, pruned_through FROM audit_checkpoints ORDER BY n');

forEachEngine('checkpoints', (engine) => {
  let db: TestDatabase;
  before(async () => {
    db = await engine.create();
  });
  after(async () => {
    await db.drop();
  });

  it('signs one every N events, stores it and exports it as a JSON line (0600)', async () => {
    const ledger = await ledgerOn(db, { checkpointEvery: { events: 10, seconds: 3600 } });
    await fill(ledger, 25);
    assert.deepEqual(
      (await storedCheckpoints(db)).map((row) => row.seq),
      [10, 20],
    );
    const file = exportFileOf(db);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const exported = await readExportFile(file);
    assert.deepEqual(
      exported.map((c) => c.seq),
      [10, 20],
    );
    for (const checkpoint of exported) assert.ok(checkpointSignatureValid(checkpoint, keys.publicKey));
    const line = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(line).sort(), ['head', 'seq', 'signature', 'time']);
    assert.match(String(line['head']), /^[0-9a-f]{64}$/);

    await ledger.close(); // a last checkpoint at the head
    assert.deepEqual(
      (await storedCheckpoints(db)).map((row) => row.seq),
      [10, 20, 25],
    );
    const verified = assertVerified(
      await verifyLedger(db.store, {
        publicKey: keys.publicKey,
        exportedCheckpoints: await readExportFile(file),
      }),
    );
    assert.deepEqual(
      [verified.events, verified.checkpoints, verified.exportedCheckpoints, verified.signedThrough],
      [25, 3, 3, 25],
    );
  });

  it('signs one every T seconds when events arrived, and none when nothing new came', async () => {
    let now = Date.parse('2026-12-07T10:00:00Z');
    const ledger = await ledgerOn(db, {
      checkpointEvery: { events: 1000, seconds: 0.05 },
      clock: () => now,
      exportFile: `${db.dir}/timed.jsonl`,
    });
    try {
      const before = (await storedCheckpoints(db)).length;
      await ledger.append('timed-1', sampleEvent(1));
      now += 60_000;
      await sleep(200);
      const rows = await storedCheckpoints(db);
      assert.equal(rows.length, before + 1, 'one checkpoint: no new event, no new checkpoint');
      const [exported] = await readExportFile(`${db.dir}/timed.jsonl`);
      assert.deepEqual([exported?.seq, exported?.time], [26, '2026-12-07T10:01:00.000Z']);
    } finally {
      await ledger.close();
    }
  });

  it('signs exactly the documented payload with Ed25519', () => {
    const head = Buffer.alloc(32, 7);
    const signed = signCheckpoint(
      { seq: 3, head, time: '2026-12-07T12:00:00.000Z', prunedThrough: 1 },
      keys.privateKey,
    );
    assert.equal(
      checkpointPayload(signed).toString('utf8'),
      `rampart.audit.checkpoint.v1\0{"head":"${head.toString('hex')}","prunedThrough":1,"seq":3,"time":"2026-12-07T12:00:00.000Z"}`,
    );
    assert.equal(signed.signature.length, 64);
    assert.ok(checkpointSignatureValid(signed, keys.publicKey));
    assert.ok(!checkpointSignatureValid({ ...signed, seq: 4 }, keys.publicKey));
    assert.ok(!checkpointSignatureValid(signed, generateKeyPairSync('ed25519').publicKey));
  });

  it('refuses keys that are not Ed25519 and policies that are not positive', async () => {
    const base = { store: db.store, exportFile: exportFileOf(db), onError: () => undefined };
    await assert.rejects(openLedger({ ...base, signingKey: keys.publicKey }), TypeError);
    await assert.rejects(
      openLedger({ ...base, signingKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }),
      TypeError,
    );
    await assert.rejects(
      openLedger({ ...base, signingKey: keys.privateKey, checkpointEvery: { events: 0 } }),
      TypeError,
    );
    await assert.rejects(
      openLedger({ ...base, signingKey: keys.privateKey, checkpointEvery: { seconds: 0 } }),
      TypeError,
    );
    await assert.rejects(verifyLedger(db.store, { publicKey: keys.privateKey }), TypeError);
  });
});

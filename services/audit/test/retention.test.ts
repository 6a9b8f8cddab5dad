import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { createLogger } from '@rampart/sdk';
import { verifyLedger, type Ledger } from '../src/ledger/index.ts';
import { retentionPoint, startRetention } from '../src/retention.ts';
import { fill, forEachEngine, keys, ledgerOn, type TestDatabase } from './ledger/engines.ts';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.parse('2026-01-01T00:00:00Z');

forEachEngine('audit retention', (engine) => {
  let db: TestDatabase;
  let ledger: Ledger;
  let now = START;
  const lines: string[] = [];
  const log = createLogger('audit', { destination: { write: (line: string) => lines.push(line) } });

  beforeEach(async () => {
    now = START;
    lines.length = 0;
    db = await engine.create();
    ledger = await ledgerOn(db, { clock: () => now });
    await fill(ledger, 25); // checkpoints at 10 and 20, signed on day 0
    now = START + 40 * DAY;
    await fill(ledger, 25, 26); // checkpoints at 30, 40 and 50, signed on day 40
  });
  afterEach(async () => {
    await ledger.close();
    await db.drop();
  });

  async function retained(days: number): Promise<void> {
    const stop = startRetention({ ledger, store: db.store, retentionDays: days, log, clock: () => now });
    stop();
    // The first pass runs at once; let it finish.
    for (let i = 0; i < 50 && !lines.some((line) => line.includes('retention')); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it('prunes through the last checkpoint signed before the cutoff, and what was pruned stays provable', async () => {
    now = START + 60 * DAY;
    assert.equal(await retentionPoint(db.store, new Date(now - 30 * DAY)), 20);
    await retained(30);
    const first = await db.store.get<{ seq: number }>('SELECT MIN(seq) AS seq FROM audit_entries');
    assert.equal(Number(first?.seq), 21);
    const result = await verifyLedger(db.store, { publicKey: keys.publicKey });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.prunedThrough, 20);
    assert.match(lines.join(''), /"prunedThrough":20.*audit trail pruned past its retention/);
  });

  it('keeps everything younger than the retention', async () => {
    now = START + 45 * DAY;
    assert.equal(await retentionPoint(db.store, new Date(now - 90 * DAY)), undefined);
    assert.equal(await retentionPoint(db.store, new Date(now - 1 * DAY)), 40);
  });

  it('never prunes the head, even when every checkpoint is old', async () => {
    now = START + 400 * DAY;
    // The checkpoint at 50 is the head (every entry is checkpointed): 40 is the last below it.
    assert.equal(await retentionPoint(db.store, new Date(now - DAY)), 40);
  });

  it('refuses to prune what does not verify: the entries stay and the failure is logged', async () => {
    now = START + 60 * DAY;
    await db.store.run("UPDATE audit_entries SET event = '{}' WHERE seq = 5");
    await retained(30);
    const first = await db.store.get<{ seq: number }>('SELECT MIN(seq) AS seq FROM audit_entries');
    assert.equal(Number(first?.seq), 1);
    assert.match(lines.join(''), /audit retention failed; the entries stay/);
  });

  it('refuses a retention that is not a positive whole number of days', () => {
    for (const days of [0, -1, 1.5, Number.NaN])
      assert.throws(() => startRetention({ ledger, store: db.store, retentionDays: days, log }), TypeError);
  });
});

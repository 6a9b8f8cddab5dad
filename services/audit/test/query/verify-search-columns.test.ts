import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { verifySearchColumns, type Ledger } from '@rampart/audit';
import { fill, forEachEngine, ledgerOn, type TestDatabase } from '../ledger/engines.ts';

forEachEngine('verifySearchColumns', (engine) => {
  let db: TestDatabase;
  let ledger: Ledger;
  beforeEach(async () => {
    db = await engine.create();
    ledger = await fill(await ledgerOn(db), 12);
  });
  afterEach(async () => {
    await ledger.close();
    await db.drop();
  });

  it('finds nothing on a trail as the ledger wrote it', async () => {
    assert.equal(await verifySearchColumns(db.store), undefined);
  });

  it('names the first entry whose column was edited, or that was left out of the index', async () => {
    await db.store.run("UPDATE audit_entries SET event_type = 'x.y' WHERE seq = 7");
    assert.deepEqual(await verifySearchColumns(db.store), { seq: 7, id: 'e7', column: 'event_type' });
    await db.store.run('UPDATE audit_entries SET search_columns = 0 WHERE seq = 3');
    assert.deepEqual(await verifySearchColumns(db.store), { seq: 3, id: 'e3', column: 'search_columns' });
  });
});

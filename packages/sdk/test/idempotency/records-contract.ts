import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeIfAvailable } from '@rampart/testing';
import {
  createIdempotencyRecords,
  IDEMPOTENCY_MIGRATIONS,
  IDEMPOTENCY_TABLE,
  type ClaimOutcome,
} from '../../src/idempotency/index.ts';
import type { Store } from '../../src/store/index.ts';

export interface RecordsEngine {
  readonly name: string;
  readonly availability: { skip: false } | { skip: string };
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** A second store on the same database, as another replica of the service would have. */
  openReplica(): Promise<Store>;
  cleanup(): Promise<void>;
}

const TTL = 10_000;
const LEASE = 1_000;

/**
 * What the idempotency records must do on every engine: one winner among concurrent claims (in
 * one process and across replicas), replay, mismatched payload, in-flight, release, expiry and
 * the lease that frees a key abandoned mid-request.
 */
export function runIdempotencyRecordsContract(engine: RecordsEngine): void {
  describeIfAvailable(`idempotency records: ${engine.name}`, engine.availability, () => {
    let store: Store;
    let replica: Store | undefined;
    let clock = 1_000_000;
    const now = (): number => clock;
    const records = () => createIdempotencyRecords(store, { ttlMs: TTL, leaseMs: LEASE, now });
    let n = 0;
    const freshId = (): string => `id-${(n += 1)}`;

    before(async () => {
      store = await engine.open();
      await store.migrate(IDEMPOTENCY_MIGRATIONS);
      await store.migrate(IDEMPOTENCY_MIGRATIONS);
      replica = await engine.openReplica();
    });
    after(async () => {
      await replica?.close();
      await (store as Store | undefined)?.close();
      await engine.cleanup();
    });

    it('of 20 concurrent claims of one key on two replicas, exactly one wins; the rest are in flight', async () => {
      const mine = records();
      const theirs = createIdempotencyRecords(replica!, { ttlMs: TTL, leaseMs: LEASE, now });
      const id = freshId();
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? mine : theirs).claim(id, 'fp')),
      );
      const kinds = outcomes.map((o) => o.kind);
      assert.equal(kinds.filter((k) => k === 'claimed').length, 1, kinds.join());
      assert.equal(kinds.filter((k) => k === 'in-flight').length, 19, kinds.join());
    });

    it('replays a completed response for the same payload; another payload is a mismatch', async () => {
      const r = records();
      const id = freshId();
      const first = await r.claim(id, 'fp');
      assert.equal(first.kind, 'claimed');
      assert.equal(await r.complete(id, claimOf(first), 'sealed-response'), true);
      assert.deepEqual(await r.claim(id, 'fp'), { kind: 'replay', response: 'sealed-response' });
      assert.deepEqual(await r.claim(id, 'other-fp'), { kind: 'mismatch' });
      const rows = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? r : createIdempotencyRecords(replica!, { now })).claim(id, 'fp'),
        ),
      );
      for (const row of rows) assert.equal(row.kind, 'replay');
    });

    it('a key still running answers in-flight to the same payload and mismatch to another', async () => {
      const r = records();
      const id = freshId();
      assert.equal((await r.claim(id, 'fp')).kind, 'claimed');
      assert.deepEqual(await r.claim(id, 'fp'), { kind: 'in-flight' });
      assert.deepEqual(await r.claim(id, 'other'), { kind: 'mismatch' });
    });

    it('a released key runs again, with any payload', async () => {
      const r = records();
      const id = freshId();
      const first = await r.claim(id, 'fp');
      await r.release(id, claimOf(first));
      assert.equal((await r.claim(id, 'another payload')).kind, 'claimed');
    });

    it('a key abandoned mid-request is taken over after its lease, by the same payload only', async () => {
      const r = records();
      const id = freshId();
      const abandoned = await r.claim(id, 'fp');
      clock += LEASE;
      assert.deepEqual(await r.claim(id, 'other'), { kind: 'mismatch' });
      const takeover = await r.claim(id, 'fp');
      assert.equal(takeover.kind, 'claimed');
      assert.equal(await r.complete(id, claimOf(abandoned), 'late'), false, 'the old claim is void');
      assert.equal(await r.complete(id, claimOf(takeover), 'fresh'), true);
      assert.deepEqual(await r.claim(id, 'fp'), { kind: 'replay', response: 'fresh' });
    });

    it('a key expires after its TTL: then it is new again, whatever the payload, and swept', async () => {
      const r = records();
      const id = freshId();
      const first = await r.claim(id, 'fp');
      await r.complete(id, claimOf(first), 'old');
      clock += TTL - 1;
      assert.equal((await r.claim(id, 'fp')).kind, 'replay');
      clock += 1;
      assert.equal((await r.claim(id, 'new payload')).kind, 'claimed');

      const stale = freshId();
      await r.claim(stale, 'fp');
      clock += TTL;
      assert.ok((await r.sweep()) >= 1);
      const left = await store.get(`SELECT id FROM ${IDEMPOTENCY_TABLE} WHERE id = ?`, [stale]);
      assert.equal(left, undefined);
    });
  });
}

function claimOf(outcome: ClaimOutcome): string {
  if (outcome.kind !== 'claimed') assert.fail(`expected a claim, got ${outcome.kind}`);
  return outcome.claim;
}

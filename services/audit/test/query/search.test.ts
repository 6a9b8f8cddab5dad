import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { openLedger, verifyLedger, type Ledger } from '../../src/ledger/index.ts';
import {
  searchEvents,
  SearchFilterError,
  type SearchFilter,
  type SearchHit,
  type SearchPage,
} from '../../src/query/index.ts';
import { assertVerified } from '../ledger/attacker.ts';
import { exportFileOf, forEachEngine, keys, ledgerOn, type TestDatabase } from '../ledger/engines.ts';
import {
  CLIENTS,
  IPS,
  oracle,
  ROUTES,
  SERVICES,
  SUBJECTS,
  testEvent,
  timeAt,
  TYPES,
  type TestEvent,
} from './trail.ts';

const EVENTS = 240;
const all: TestEvent[] = Array.from({ length: EVENTS }, (_, i) => testEvent(i + 1));

/** Every match of `filter`, following `next` from page to page. */
async function everyPage(
  db: TestDatabase,
  filter: SearchFilter,
  page: SearchPage = {},
): Promise<{ hits: SearchHit[]; pages: number }> {
  const hits: SearchHit[] = [];
  let cursor: SearchPage = page;
  for (let pages = 1; ; pages++) {
    const result = await searchEvents(db.store, filter, cursor);
    hits.push(...result.events);
    if (result.next === undefined) return { hits, pages };
    cursor = { ...page, ...result.next };
  }
}

/** The seqs the oracle expects for `filter`, newest first (event n was appended at seq n). */
function expected(filter: SearchFilter): number[] {
  return all
    .map((event, i) => ({ event, seq: i + 1 }))
    .filter(({ event }) => oracle(filter, event))
    .map(({ seq }) => seq)
    .reverse();
}

forEachEngine('searchEvents', (engine) => {
  let db: TestDatabase;
  let ledger: Ledger;
  before(async () => {
    db = await engine.create();
    ledger = await ledgerOn(db, { checkpointEvery: { events: 50, seconds: 3600 } });
    for (const event of all) await ledger.append(event.id, event);
  });
  after(async () => {
    await ledger.close();
    await db.drop();
  });

  it('with no filter: every event, newest first, with its seq, id and stored fields', async () => {
    const { events, next } = await searchEvents(db.store, {}, { limit: 3 });
    assert.deepEqual(
      events.map((hit) => hit.seq),
      [240, 239, 238],
    );
    assert.deepEqual(next, { before: 238 });
    assert.equal(events[0]?.id, all[239]?.id);
    assert.deepEqual(events[0]?.event, all[239]);
  });

  const single: [string, SearchFilter][] = [
    ...TYPES.map((event): [string, SearchFilter] => [`event ${event}`, { event }]),
    ['event prefix token.', { event: 'token.' }],
    ['event prefix login.', { event: 'login.' }],
    ['event prefix that nothing has', { event: 'mfa.' }],
    ['an event type nothing has', { event: 'token.issue' }],
    ...['success', 'failure', 'unknown'].map((outcome): [string, SearchFilter] => [
      `outcome ${outcome}`,
      { outcome: outcome as 'success' },
    ]),
    ...SUBJECTS.map((subject): [string, SearchFilter] => [`subject ${subject}`, { subject }]),
    ...CLIENTS.map((clientId): [string, SearchFilter] => [`client ${clientId}`, { clientId }]),
    ...IPS.map((sourceIp): [string, SearchFilter] => [`ip ${sourceIp}`, { sourceIp }]),
    ['ip in upper case', { sourceIp: '2001:DB8::1' }],
    ...ROUTES.map((route): [string, SearchFilter] => [`route ${route}`, { route }]),
    ['a trace id', { traceId: (42 * 7919).toString(16).padStart(32, '0') }],
    ['a request id', { requestId: 'req-17' }],
    ...SERVICES.map((service): [string, SearchFilter] => [`service ${service}`, { service }]),
    ['from', { from: timeAt(200) }],
    ['to', { to: timeAt(30) }],
    ['from and to', { from: timeAt(100), to: timeAt(130) }],
    ['from with an offset', { from: '2026-12-07T14:00:00+02:00' }],
    ['a date', { from: '2026-12-07', to: '2026-12-08' }],
    [
      'everything at once',
      {
        event: 'token.',
        outcome: 'failure',
        subject: SUBJECTS[2] ?? '',
        from: timeAt(10),
        service: 'identity',
      },
    ],
    ['subject and outcome', { subject: SUBJECTS[0] ?? '', outcome: 'failure' }],
  ];
  for (const [name, filter] of single) {
    it(`finds exactly what matches: ${name}`, async () => {
      const { hits } = await everyPage(db, filter, { limit: 7 });
      assert.deepEqual(
        hits.map((hit) => hit.seq),
        expected(filter),
      );
    });
  }

  it('gives every case a non-trivial answer (the table above is not all empty)', () => {
    const sizes = single.map(([, filter]) => expected(filter).length);
    assert.equal(sizes.filter((n) => n === 0).length, 2, JSON.stringify(sizes)); // mfa. and token.issue
    assert.ok(
      expected({ event: 'token.' }).length > 0 && expected({ from: timeAt(100), to: timeAt(130) }).length > 0,
    );
  });

  it('pages oldest first from a seq, and between two seqs', async () => {
    const { hits } = await everyPage(db, { outcome: 'failure' }, { after: 100, order: 'oldest', limit: 9 });
    assert.deepEqual(
      hits.map((hit) => hit.seq),
      expected({ outcome: 'failure' })
        .filter((seq) => seq > 100)
        .reverse(),
    );
    const between = await searchEvents(db.store, {}, { after: 10, before: 14, order: 'oldest' });
    assert.deepEqual(
      between.events.map((hit) => hit.seq),
      [11, 12, 13],
    );
    assert.equal(between.next, undefined);
  });

  it('says there is a next page only when there is one', async () => {
    const matches = expected({ service: 'orders' });
    const exact = await searchEvents(db.store, { service: 'orders' }, { limit: matches.length });
    assert.equal(exact.events.length, matches.length);
    assert.equal(exact.next, undefined);
    const short = await searchEvents(db.store, { service: 'orders' }, { limit: matches.length - 1 });
    assert.deepEqual(short.next, { before: matches.at(-2) });
  });

  it('takes hostile values as values: they match nothing and change nothing', async () => {
    for (const route of [
      "GET /'OR'1'='1",
      'GET /x";DROP-TABLE-audit_entries;--',
      'GET /%',
      'GET /_',
      `GET /${'a'.repeat(250)}`,
    ]) {
      assert.deepEqual((await searchEvents(db.store, { route })).events, [], route);
    }
    const verified = assertVerified(await verifyLedger(db.store, { publicKey: keys.publicKey }));
    assert.equal(verified.events, EVENTS);
  });

  const bad: [string, unknown, string][] = [
    ['an unknown field', { user: 'alice' }, 'user'],
    ['a number', { outcome: 1 }, 'outcome'],
    ['an outcome that does not exist', { outcome: 'denied' }, 'outcome'],
    ['a subject that is not a pseudonym', { subject: 'alice' }, 'subject'],
    ['a trace id in upper case', { traceId: 'A'.repeat(32) }, 'traceId'],
    ['a huge route', { route: `GET /${'a'.repeat(10_000)}` }, 'route'],
    ['a route without its method', { route: '/orders' }, 'route'],
    ['an event with a wildcard', { event: 'token.*' }, 'event'],
    ['an event with SQL in it', { event: "x' OR 1=1 --" }, 'event'],
    ['a time without a zone', { from: '2026-12-07T10:00:00' }, 'from'],
    ['a time that is not one', { to: 'yesterday' }, 'to'],
    ['from after to', { from: timeAt(10), to: timeAt(5) }, 'to'],
    ['an address that is not one', { sourceIp: '10.0.0.256' }, 'sourceIp'],
    ['an address with a zone', { sourceIp: 'fe80::1%eth0' }, 'sourceIp'],
    ['a client id with a quote', { clientId: "x'--" }, 'clientId'],
    ['a request id with a LIKE wildcard', { requestId: '%' }, 'requestId'],
    ['a lone surrogate', { clientId: '\ud800' }, 'clientId'],
    ['not an object', 'event=login.failed', 'filter'],
    ['an array', [], 'filter'],
  ];
  for (const [name, filter, field] of bad) {
    it(`refuses ${name}, naming ${field}`, async () => {
      await assert.rejects(searchEvents(db.store, filter as SearchFilter), (error: unknown) => {
        assert.ok(error instanceof SearchFilterError && error instanceof TypeError);
        assert.equal(error.field, field);
        assert.ok(error.message.startsWith(`${field}: `), error.message);
        return true;
      });
    });
  }

  const badPages: [string, unknown, string][] = [
    ['a limit over 1000', { limit: 1001 }, 'limit'],
    ['a limit of 0', { limit: 0 }, 'limit'],
    ['a fractional seq', { before: 1.5 }, 'before'],
    ['a negative seq', { after: -1 }, 'after'],
    ['a string seq', { before: '10' }, 'before'],
    ['an order that does not exist', { order: 'random' }, 'order'],
    ['an unknown paging field', { offset: 10 }, 'offset'],
  ];
  for (const [name, page, field] of badPages) {
    it(`refuses ${name} in the page, naming ${field}`, async () => {
      await assert.rejects(searchEvents(db.store, {}, page as SearchPage), {
        name: 'SearchFilterError',
        field,
      });
    });
  }

  it('never returns a row whose search columns were edited to match when its event does not', async () => {
    // Someone with write access copies a subject into other rows' column: the hash does not cover it.
    await db.store.run('UPDATE audit_entries SET subject = ? WHERE seq <= 20', [SUBJECTS[0] ?? '']);
    try {
      const { hits } = await everyPage(db, { subject: SUBJECTS[0] ?? '' }, { limit: 1000 });
      assert.deepEqual(
        hits.map((hit) => hit.seq),
        expected({ subject: SUBJECTS[0] ?? '' }),
      );
    } finally {
      await db.store.run('UPDATE audit_entries SET subject = NULL WHERE seq <= 20');
      await db.store.run('UPDATE audit_entries SET search_columns = 0 WHERE seq <= 20');
      await ledger.close();
      ledger = await ledgerOn(db, { checkpointEvery: { events: 50, seconds: 3600 } }); // back-fills them
    }
    const { hits } = await everyPage(db, { subject: SUBJECTS[0] ?? '' }, { limit: 1000 });
    assert.deepEqual(
      hits.map((hit) => hit.seq),
      expected({ subject: SUBJECTS[0] ?? '' }),
    );
  });

  it('any filter object: a SearchFilterError or only events that match it (property)', async () => {
    const value = (pool: readonly string[]) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...pool) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
        { weight: 1, arbitrary: fc.anything() },
      );
    const times = Array.from({ length: 12 }, (_, i) => timeAt(i * 20));
    const filter = fc.record(
      {
        from: value(times),
        to: value(times),
        event: value([...TYPES, 'token.', 'login.', 'gateway.', 'x.']),
        outcome: value(['success', 'failure', 'unknown']),
        subject: value(SUBJECTS),
        clientId: value(CLIENTS),
        sourceIp: value([...IPS, '2001:DB8::1', '::ffff:203.0.113.7']),
        route: value(ROUTES),
        traceId: value(all.slice(0, 30).map((event) => JSON.stringify(event['traceId']).slice(1, -1))),
        requestId: value(['req-1', 'req-2', 'req-77', "req-'"]),
        service: value(SERVICES),
      },
      { requiredKeys: [] },
    );
    const anyFilter = fc.oneof(
      { weight: 8, arbitrary: filter },
      { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.string()) },
      { weight: 1, arbitrary: fc.anything() },
    );
    const page = fc.record(
      {
        limit: fc.integer({ min: 1, max: 50 }),
        order: fc.constantFrom('newest' as const, 'oldest' as const),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(anyFilter, page, async (candidate, paging) => {
        let hits: SearchHit[];
        try {
          hits = (await searchEvents(db.store, candidate as SearchFilter, paging)).events as SearchHit[];
        } catch (error) {
          assert.ok(error instanceof SearchFilterError, `threw ${String(error)}`);
          return;
        }
        for (const hit of hits)
          assert.ok(oracle(candidate ?? {}, hit.event), `seq ${hit.seq} does not match`);
        const seqs = hits.map((hit) => hit.seq);
        const sorted = [...seqs].sort((a, b) => (paging.order === 'oldest' ? a - b : b - a));
        assert.deepEqual(seqs, sorted);
      }),
      { numRuns: engine.name === 'embedded' ? 300 : 80 },
    );
  });
});

forEachEngine('search columns on a ledger appended before they existed', (engine) => {
  let db: TestDatabase;
  before(async () => {
    db = await engine.create();
  });
  after(async () => {
    await db.drop();
  });

  it('are filled when the ledger opens, and the chain still verifies', async () => {
    let ledger = await openLedger({
      store: db.store,
      signingKey: keys.privateKey,
      exportFile: exportFileOf(db),
      onError: (error) => {
        throw error;
      },
    });
    for (const event of all.slice(0, 30)) await ledger.append(event.id, event);
    await ledger.close();
    // As a ledger of version 0001 left them: no columns filled.
    await db.store.run('UPDATE audit_entries SET subject = NULL, event_type = NULL, search_columns = 0');
    // …and one row that is not even JSON (tampering): it must not stop the back-fill.
    await db.store.run("UPDATE audit_entries SET event = 'not json' WHERE seq = 5");
    assert.deepEqual((await searchEvents(db.store, { event: 'login.failed' })).events, []);
    ledger = await ledgerOn(db);
    await ledger.close();
    const { events } = await searchEvents(db.store, { event: 'login.failed' }, { limit: 1000 });
    assert.deepEqual(
      events.map((hit) => hit.seq),
      all
        .slice(0, 30)
        .map((event, i) => ({ event, seq: i + 1 }))
        .filter(({ event, seq }) => event['event'] === 'login.failed' && seq !== 5)
        .map(({ seq }) => seq)
        .reverse(),
    );
    const left = await db.store.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM audit_entries WHERE search_columns = 0',
    );
    assert.equal(Number(left?.n), 0);
    const verified = await verifyLedger(db.store, { publicKey: keys.publicKey });
    assert.equal(verified.ok, false, 'the row made "not json" is named by verify, as before');
  });
});

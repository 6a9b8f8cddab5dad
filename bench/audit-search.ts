/**
 * Question (issue 13, "Query"): does a search of the audit trail stay fast on 1,000,000 events —
 * with no filter, with each filter alone, and with filters combined — on the embedded store and on
 * PostgreSQL? And what do the search columns cost: per append, and on disk?
 *
 *   node bench/audit-search.ts [--events 1000000] [--rounds 9] [--engines embedded,postgres] [--plans] [--no-write]
 *
 * Build: `--events` stored events shaped like the platform's (gateway denials, sign-ins, token
 * issues…; 10,000 subjects, 5,000 client IPs, unique trace and request ids, times 50 ms apart with
 * late arrivals) appended through the ledger (`openLedger`, 1000 appends in flight, checkpoints every
 * 1000): every search column and index is written as the audit service writes it.
 *
 * Query: `searchEvents` for the first page of 100 (newest first), median of `--rounds` after one
 * warm-up. Baseline in the same run: the same selections written with the engines' JSON functions
 * over the event text (what a search would be without the columns: `json_extract` on SQLite,
 * `event::jsonb ->> …` on PostgreSQL), and reading the newest 100 rows with no filter at all.
 *
 * Prints milliseconds per query and writes bench/results/audit-search-<date>.md.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openEmbeddedStore, openPostgresStore, type SqlValue, type Store } from '@rampart/sdk';
import {
  canonicalJson,
  entryHash,
  openLedger,
  searchColumns,
  searchEvents,
  SEARCH_COLUMN_NAMES,
  type SearchFilter,
  type SearchPage,
} from '@rampart/audit';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '9' },
    engines: { type: 'string', default: 'embedded,postgres' },
    plans: { type: 'boolean', default: false },
    /** Keep the embedded store here and reuse it when it exists (skips the append phase). */
    db: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const events = Number(args.events);
const rounds = Number(args.rounds);
const engines = args.engines.split(',');
const IN_FLIGHT = 1000;
const START = Date.parse('2026-11-01T00:00:00.000Z');
const STEP_MS = 50;
const f = (n: number): string => Math.round(n).toLocaleString('en-US');
const ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A deterministic pseudo-random in [0, 1) from n (no state: events can be rebuilt by number). */
const rand = (n: number, salt: number): number => {
  let x = (n * 2654435761 + salt * 40503) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 2246822507) >>> 0;
  x ^= x >>> 13;
  return (x >>> 0) / 2 ** 32;
};
const pick = <T>(list: readonly T[], r: number): T => list[Math.floor(r * list.length)] as T;
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0').slice(-width);
const subjectOf = (k: number): string =>
  `ps_${Buffer.from(`subject-${k}-pad`).toString('base64url').padEnd(22, 'A').slice(0, 22)}`;
const ipOf = (k: number): string =>
  k % 10 === 0 ? `2001:db8::${hex(k, 4)}` : `198.51.${Math.floor(k / 250) % 256}.${k % 250}`;
const ROUTES = ['GET /orders', 'GET /orders/{id}', 'POST /orders', 'GET /profiles/me', 'PUT /profiles/me'];
const CLIENTS = ['shop-web', 'shop-cli', 'rampart-cli', 'partner-a', 'partner-b'];

/** The event with number n, as the audit service stores it (the SDK's fields and `source`). */
function eventOf(n: number): { readonly id: string; readonly [field: string]: string } {
  const r = rand(n, 1);
  // Late arrivals: one event in 50 was emitted up to 30 s before the ones around it.
  const time = new Date(START + n * STEP_MS - (rand(n, 2) < 0.02 ? Math.floor(rand(n, 3) * 30_000) : 0));
  const common = {
    id: `${hex(n, 8)}-0000-4000-8000-${hex(n * 7919, 12)}`,
    time: time.toISOString(),
    traceId: `${hex(n, 16)}${hex(Math.floor(rand(n, 4) * 2 ** 32), 16)}`,
    requestId: `req-${n.toString(36)}`,
    sourceIp: ipOf(Math.floor(rand(n, 5) * 5000)),
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
  };
  const subject = subjectOf(Math.floor(rand(n, 6) * 10_000));
  const clientId = pick(CLIENTS, rand(n, 7));
  const route = pick(ROUTES, rand(n, 8));
  if (r < 0.5)
    return {
      ...common,
      event: 'gateway.denied',
      service: 'gateway',
      outcome: 'failure',
      reason: pick(['GW_TOKEN_EXPIRED', 'GW_RATE_LIMITED', 'GW_FORBIDDEN'], rand(n, 9)),
      route,
      clientId,
      source: 'spiffe://rampart.local/rampart/gateway',
    };
  if (r < 0.7)
    return {
      ...common,
      event: 'token.issued',
      service: 'identity',
      outcome: 'success',
      reason: 'authorization_code',
      subject,
      clientId,
      source: 'spiffe://rampart.local/rampart/identity',
    };
  if (r < 0.8)
    return {
      ...common,
      event: 'token.refreshed',
      service: 'identity',
      outcome: 'success',
      reason: 'rotated',
      subject,
      clientId,
      source: 'spiffe://rampart.local/rampart/identity',
    };
  if (r < 0.9)
    return {
      ...common,
      event: 'login.succeeded',
      service: 'identity',
      outcome: 'success',
      reason: 'password_totp',
      subject,
      source: 'spiffe://rampart.local/rampart/identity',
    };
  if (r < 0.95)
    return {
      ...common,
      event: 'login.failed',
      service: 'identity',
      outcome: 'failure',
      reason: 'bad_password',
      subject,
      source: 'spiffe://rampart.local/rampart/identity',
    };
  if (r < 0.9999)
    return {
      ...common,
      event: 'peer.rejected',
      service: 'orders',
      outcome: 'failure',
      reason: 'SDK_CALLER_NOT_ALLOWED',
      peer: 'payments',
      route,
      source: 'spiffe://rampart.local/svc/orders',
    };
  return {
    ...common,
    event: 'token.reuse_detected',
    service: 'identity',
    outcome: 'failure',
    reason: 'refresh_reuse',
    subject,
    clientId,
    source: 'spiffe://rampart.local/rampart/identity',
  };
}

const middle = Math.floor(events / 2);
const at = (n: number): string => new Date(START + n * STEP_MS).toISOString();
const sample = eventOf(middle + 1);
const subject = subjectOf(4242);
const sampleField = (name: string): string => {
  const value = sample[name];
  if (value === undefined) throw new Error(`the sample event has no ${name}`);
  return value;
};

interface Query {
  readonly name: string;
  readonly filter: SearchFilter;
  readonly page?: SearchPage;
  /** The same selection over the event text with the engine's JSON functions (no search column). */
  readonly json?: JsonSelection;
}

interface JsonSelection {
  readonly sqlite: string;
  readonly postgres: string;
  readonly params: readonly SqlValue[];
}

const jsonEq = (field: string, value: string): JsonSelection => ({
  sqlite: `json_extract(event, '$.${field}') = ?`,
  postgres: `(event::jsonb ->> '${field}') = ?`,
  params: [value],
});

const queries: readonly Query[] = [
  { name: 'no filter', filter: {} },
  { name: 'no filter, a page from the middle (before: N/2)', filter: {}, page: { before: middle } },
  {
    name: 'event = login.failed (5%)',
    filter: { event: 'login.failed' },
    json: jsonEq('event', 'login.failed'),
  },
  { name: 'event prefix token. (30%)', filter: { event: 'token.' } },
  {
    name: 'event = token.reuse_detected (0.01%)',
    filter: { event: 'token.reuse_detected' },
    json: jsonEq('event', 'token.reuse_detected'),
  },
  { name: 'outcome = failure (~60%)', filter: { outcome: 'failure' } },
  { name: 'subject (one of 10,000: ~50 events)', filter: { subject }, json: jsonEq('subject', subject) },
  { name: 'clientId = partner-b (~14%)', filter: { clientId: 'partner-b' } },
  {
    name: 'sourceIp (one of 5,000: ~200 events)',
    filter: { sourceIp: ipOf(1234) },
    json: jsonEq('sourceIp', ipOf(1234)),
  },
  { name: 'route = POST /orders', filter: { route: 'POST /orders' } },
  {
    name: 'traceId (1 event)',
    filter: { traceId: sampleField('traceId') },
    json: jsonEq('traceId', sampleField('traceId')),
  },
  { name: 'requestId (1 event)', filter: { requestId: sampleField('requestId') } },
  { name: 'service = orders (5%)', filter: { service: 'orders' } },
  { name: 'time: one hour in the middle', filter: { from: at(middle), to: at(middle + 72_000) } },
  { name: 'time: the whole trail (from its first event)', filter: { from: at(0) } },
  { name: 'time: the older half (to the middle)', filter: { to: at(middle) } },
  { name: 'time: the first hour (oldest)', filter: { from: at(0), to: at(72_000) } },
  {
    name: 'time: the first hour + event login.failed',
    filter: { from: at(0), to: at(72_000), event: 'login.failed' },
  },
  { name: 'time: the last day + subject', filter: { from: at(events - 1_728_000), subject } },
  {
    name: 'subject + outcome failure + event prefix login.',
    filter: { subject, outcome: 'failure', event: 'login.' },
  },
  {
    name: 'service orders + event login.failed (no match, 5% × 5%)',
    filter: { service: 'orders', event: 'login.failed' },
  },
  {
    name: 'subject not in the trail (no match)',
    filter: { subject: 'ps_AAAAAAAAAAAAAAAAAAAAAA' },
    json: jsonEq('subject', 'ps_AAAAAAAAAAAAAAAAAAAAAA'),
  },
  { name: 'route with SQL metacharacters (no match)', filter: { route: "GET /x';DROP-TABLE--" } },
];

interface Measured {
  readonly name: string;
  readonly ms: number;
  readonly hits: number;
  readonly jsonMs?: number;
  readonly plan?: string;
}

async function median(work: () => Promise<unknown>): Promise<number> {
  await work();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    await work();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? NaN;
}

/** Events appended through the ledger (the append rate is measured on them); the rest are bulk-loaded. */
const LEDGER_EVENTS = Math.min(events, 100_000);
const BULK_ROWS = 200;

/**
 * Appends the first {@link LEDGER_EVENTS} through `openLedger` (1000 in flight) and returns their
 * rate; then loads the rest in multi-row INSERTs of exactly the rows the ledger writes (the chain
 * continued, canonical text, search columns), which is much faster than a million appends.
 */
async function fill(store: Store, dir: string): Promise<number> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const ledger = await openLedger({
    store,
    signingKey: privateKey,
    exportFile: join(dir, 'checkpoints.jsonl'),
    onError: (error) => {
      throw error;
    },
  });
  const started = process.hrtime.bigint();
  for (let n = 0; n < LEDGER_EVENTS; n += IN_FLIGHT) {
    const count = Math.min(IN_FLIGHT, LEDGER_EVENTS - n);
    await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const event = eventOf(n + i);
        return ledger.append(event.id, event);
      }),
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let head = await ledger.head();
  await ledger.close();
  const columns = ['seq', 'id', 'event', 'prev_hash', 'hash', ...SEARCH_COLUMN_NAMES, 'search_columns'];
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let n = LEDGER_EVENTS; n < events; n += BULK_ROWS) {
    const params: SqlValue[] = [];
    const count = Math.min(BULK_ROWS, events - n);
    for (let i = 0; i < count; i++) {
      const event = eventOf(n + i);
      const text = canonicalJson(event);
      const seq = head.seq + 1;
      const hash = entryHash(head.hash, seq, event.id, text);
      const values = searchColumns(event);
      params.push(
        seq,
        event.id,
        text,
        head.hash,
        hash,
        ...SEARCH_COLUMN_NAMES.map((name) => values[name]),
        1,
      );
      head = { seq, hash };
    }
    await store.run(
      `INSERT INTO audit_entries (${columns.join(', ')}) VALUES ${Array.from({ length: count }, () => tuple).join(', ')}`,
      params,
    );
    if ((n / BULK_ROWS) % 500 === 0) process.stderr.write(`  ${f(n)} events\n`);
  }
  return LEDGER_EVENTS / seconds;
}

async function measure(engine: string, store: Store): Promise<Measured[]> {
  const results: Measured[] = [];
  for (const query of queries) {
    let hits = 0;
    const ms = await median(async () => {
      hits = (await searchEvents(store, query.filter, { limit: 100, ...query.page })).events.length;
    });
    let jsonMs: number | undefined;
    if (query.json !== undefined) {
      const condition = engine === 'embedded' ? query.json.sqlite : query.json.postgres;
      const params = query.json.params;
      jsonMs = await median(() =>
        // rampart-ignore code/sql-injection the condition is one of this benchmark's own constant JSON queries, its values bound as params
        store.all(
          `SELECT seq, id, event FROM audit_entries WHERE ${condition} ORDER BY seq DESC LIMIT 101`,
          params,
        ),
      );
    }
    const plan = args.plans ? await planOf(engine, store, query) : undefined;
    results.push({
      name: query.name,
      ms,
      hits,
      ...(jsonMs === undefined ? {} : { jsonMs }),
      ...(plan === undefined ? {} : { plan }),
    });
    process.stderr.write(
      `  ${query.name}: ${ms.toFixed(2)} ms${jsonMs === undefined ? '' : ` (JSON functions: ${jsonMs.toFixed(1)} ms)`}, ${hits} hits\n`,
    );
  }
  return results;
}

/** The plan the engine chose (the statement `searchEvents` runs, rebuilt here for EXPLAIN). */
async function planOf(engine: string, store: Store, query: Query): Promise<string> {
  let captured: { sql: string; params: readonly SqlValue[] } | undefined;
  const spy: Store = {
    ...store,
    all: <T extends object>(sql: string, params?: readonly SqlValue[]) => {
      captured = { sql, params: params ?? [] };
      return store.all<T>(sql, params);
    },
  };
  await searchEvents(spy, query.filter, { limit: 100, ...query.page });
  if (captured === undefined) return '';
  const explain = engine === 'embedded' ? 'EXPLAIN QUERY PLAN ' : 'EXPLAIN ';
  const rows = await store.all<Record<string, unknown>>(explain + captured.sql, captured.params);
  return rows.map((row) => String(row['detail'] ?? row['QUERY PLAN'])).join(' / ');
}

async function sizes(engine: string, store: Store, file?: string): Promise<string> {
  if (engine === 'embedded') {
    const rows = await store.all<{ name: string; bytes: number }>(
      "SELECT name, SUM(pgsize) AS bytes FROM dbstat WHERE name LIKE 'audit_entries%' OR name LIKE 'sqlite_autoindex_audit_entries%' GROUP BY name ORDER BY bytes DESC",
    );
    const table = rows.find((row) => row.name === 'audit_entries')?.bytes ?? 0;
    const search = rows
      .filter((row) => /^audit_entries_(?!id$)/.test(row.name))
      .reduce((sum, row) => sum + row.bytes, 0);
    return `file ${mib(file === undefined ? 0 : statSync(file).size)}; table ${mib(table)}; the search indexes ${mib(search)} (${rows
      .filter((row) => /^audit_entries_(?!id$)/.test(row.name))
      .map((row) => `${row.name.replace('audit_entries_', '')} ${mib(row.bytes)}`)
      .join(', ')})`;
  }
  const row = await store.get<{ table: number; indexes: number }>(
    "SELECT pg_table_size('audit_entries') AS table, pg_indexes_size('audit_entries') AS indexes",
  );
  return `table ${mib(row?.table ?? 0)}; all indexes (primary key and id included) ${mib(row?.indexes ?? 0)}`;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

interface EngineResult {
  readonly engine: string;
  readonly appendPerSecond: number;
  readonly size: string;
  readonly queries: readonly Measured[];
}

const results: EngineResult[] = [];
for (const engine of engines) {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-search-'));
  let store: Store;
  let drop = (): Promise<void> => Promise.resolve();
  const file = engine === 'embedded' && args.db !== undefined ? args.db : join(dir, 'audit.db');
  const reuse = engine === 'embedded' && args.db !== undefined && existsSync(args.db);
  if (engine === 'embedded') {
    store = openEmbeddedStore(file);
  } else if (engine === 'postgres') {
    const schema = `bench_search_${randomBytes(4).toString('hex')}`;
    const admin = openPostgresStore({ url: ADMIN_URL, schema: 'public', maxConnections: 1 });
    try {
      await admin.run(`CREATE SCHEMA "${schema}"`);
    } catch (error) {
      process.stderr.write(`PostgreSQL at ${ADMIN_URL} unavailable (${(error as Error).message}): skipped\n`);
      await admin.close();
      continue;
    }
    store = openPostgresStore({ url: ADMIN_URL, schema, maxConnections: 4, statementTimeoutMs: 60_000 });
    drop = async () => {
      await admin.run(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.close();
    };
  } else {
    throw new TypeError(`unknown engine ${engine}: embedded or postgres`);
  }
  try {
    process.stderr.write(`${engine}: ${reuse ? `reusing ${file}` : `appending ${f(events)} events…`}\n`);
    const appendPerSecond = reuse ? NaN : await fill(store, dir);
    if (engine === 'postgres') await store.run('ANALYZE audit_entries');
    process.stderr.write(`${engine}: ${Math.round(appendPerSecond)} appends/s; searching…\n`);
    const queryResults = await measure(engine, store);
    results.push({ engine, appendPerSecond, size: await sizes(engine, store, file), queries: queryResults });
  } finally {
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()}/${arch()}, Node ${process.version}`;
const load = loadavg()
  .map((n) => n.toFixed(1))
  .join(' ');
const date = new Date().toISOString().slice(0, 10);
const ms = (n: number | undefined): string => (n === undefined ? '' : n < 10 ? n.toFixed(2) : n.toFixed(0));
const sections = results.map(
  (result) => `## ${result.engine === 'embedded' ? 'Embedded store (node:sqlite)' : 'PostgreSQL'}

${Number.isNaN(result.appendPerSecond) ? 'A store kept from an earlier run.' : `The first ${f(LEDGER_EVENTS)} appended through the ledger at ${f(result.appendPerSecond)} events/s (1000 in flight), the rest bulk-loaded as the same rows.`} Size: ${result.size}.

| first page of 100, newest first | ms (median) | hits | same selection with JSON functions, ms |
| --- | ---: | ---: | ---: |
${result.queries.map((q) => `| ${q.name} | ${ms(q.ms)} | ${q.hits} | ${ms(q.jsonMs)} |`).join('\n')}
${args.plans ? `\nPlans:\n\n${result.queries.map((q) => `- ${q.name}: \`${q.plan ?? ''}\``).join('\n')}\n` : ''}`,
);
const report = `# Audit search on ${f(events)} events (${date})

Machine: ${machine}; load average at the end ${load}. Medians of ${rounds} runs after one warm-up, \`searchEvents\`
with \`limit: 100\` (it reads 101 rows to know whether a next page exists).

${sections.join('\n')}`;
process.stdout.write(report);
if (!args['no-write']) {
  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `audit-search-${date}.md`), report);
}

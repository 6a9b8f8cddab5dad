/**
 * Question (issue 13, re-identification): identity answers "which user is ps_X?" for the audit
 * service. An HMAC cannot be reversed: should identity compute every user's pseudonym at each
 * lookup, or keep an index (`user_pseudonyms`, `SubjectPseudonyms`) caught up before each lookup?
 * At 10,000 and 100,000 users, on the embedded store and on PostgreSQL.
 *
 *   node bench/subject-reidentify.ts [--users 10000,100000] [--rounds 7] [--engines embedded,postgres] [--no-write]
 *
 * Baseline (in the same run): a scan — read every user id, HMAC each, compare each in constant
 * time. Measured: the index's first catch-up (every user new), a lookup of an indexed pseudonym
 * (one indexed read), of an unknown one (the read, a catch-up that finds nobody new — an anti-join
 * of two primary keys — and the read again), and of a user created a moment before (the same, with
 * the catch-up indexing 100 new users). Medians of `--rounds` after one warm-up.
 *
 * Prints milliseconds and writes bench/results/subject-reidentify-<date>.md.
 */
import { createHmac, createSecretKey, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openEmbeddedStore, openPostgresStore, pseudonym, type Store } from '@rampart/sdk';
import { accountMigrations, SubjectPseudonyms, USER_PSEUDONYMS_MIGRATION } from '@rampart/identity/testing';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '10000,100000' },
    rounds: { type: 'string', default: '7' },
    engines: { type: 'string', default: 'embedded,postgres' },
    'no-write': { type: 'boolean', default: false },
  },
});
const sizes = args.users.split(',').map(Number);
const rounds = Number(args.rounds);
const engines = args.engines.split(',');
const ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
async function timed(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return median(times);
}

async function open(engine: string): Promise<{ store: Store; done: () => Promise<void> }> {
  if (engine === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-reidentify-'));
    const store = openEmbeddedStore(join(dir, 'identity.sqlite'));
    return {
      store,
      done: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_reid_${randomBytes(4).toString('hex')}`;
  const admin = openPostgresStore({ url: ADMIN_URL, schema: 'public' });
  await admin.run(`CREATE SCHEMA ${schema}`);
  const store = openPostgresStore({ url: ADMIN_URL, schema });
  return {
    store,
    done: async () => {
      await store.close();
      await admin.run(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

async function addUsers(store: Store, from: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 1000) {
    await store.transaction(async (tx) => {
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        const id = randomUUID();
        ids.push(id);
        await tx.run('INSERT INTO users (id, username, created_at, updated_at) VALUES (?, ?, ?, ?)', [
          id,
          `user${from + i}`,
          Date.now(),
          Date.now(),
        ]);
      }
    });
  }
  return ids;
}

interface Row {
  engine: string;
  users: number;
  scan: number;
  firstSync: number;
  known: number;
  unknown: number;
  afterCreates: number;
}

const rows: Row[] = [];
for (const engine of engines) {
  for (const users of sizes) {
    const { store, done } = await open(engine);
    try {
      await store.migrate([...accountMigrations, USER_PSEUDONYMS_MIGRATION]);
      const ids = await addUsers(store, 0, users);
      const keyBytes = randomBytes(32);
      const key = createSecretKey(keyBytes);
      const target = ids[Math.floor(ids.length / 2)] ?? '';
      const known = pseudonym(key, target);
      const unknown = pseudonym(key, randomUUID());
      // Baseline: every user's pseudonym at each lookup.
      const scan = await timed(async () => {
        const all = await store.all<{ id: string }>('SELECT id FROM users');
        const asked = Buffer.from(unknown.slice(3), 'base64url');
        let hit: string | undefined;
        for (const { id } of all) {
          const digest = createHmac('sha256', key).update(id, 'utf8').digest().subarray(0, 16);
          if (timingSafeEqual(digest, asked)) hit = id;
        }
        return hit;
      });
      let started = performance.now();
      const index = new SubjectPseudonyms({ store, key: keyBytes });
      const synced = await index.sync();
      const firstSync = performance.now() - started;
      if (synced !== users) throw new Error(`indexed ${synced} of ${users}`);
      if ((await index.userIdOf(known)) !== target) throw new Error('the index missed a user');
      const knownMs = await timed(() => index.userIdOf(known));
      const unknownMs = await timed(async () => {
        if ((await index.userIdOf(unknown)) !== undefined) throw new Error('an unknown pseudonym resolved');
      });
      const fresh = await addUsers(store, users, 100);
      started = performance.now();
      const freshId = await index.userIdOf(pseudonym(key, fresh[0] ?? ''));
      const afterCreates = performance.now() - started;
      if (freshId !== fresh[0]) throw new Error('a new user was not found');
      const row = { engine, users, scan, firstSync, known: knownMs, unknown: unknownMs, afterCreates };
      rows.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    } finally {
      await done();
    }
  }
}

const f = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));
const date = new Date().toISOString().slice(0, 10);
const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
const report = `# Re-identification in identity: scan or index (${date})

Machine: ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()}/${arch()}, Node ${process.version}; load average at the end ${loadavg()
  .map((n) => n.toFixed(1))
  .join(' ')}. Medians of ${rounds} after one warm-up (\`node bench/subject-reidentify.ts\`).

| engine | users | scan: every user's HMAC per lookup, ms | index: first catch-up (all users), ms | index: lookup, known, ms | index: lookup, unknown, ms | index: lookup after 100 new users, ms |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.map((r) => `| ${r.engine} | ${r.users.toLocaleString('en-US')} | ${f(r.scan)} | ${f(r.firstSync)} | ${f(r.known)} | ${f(r.unknown)} | ${f(r.afterCreates)} |`).join('\n')}

The scan blocks identity's event loop for its whole HMAC loop (synchronous) and grows with the
users. The index costs one HMAC per user once (500 a statement); then an indexed pseudonym is one
read, and an unknown one (or a user created since the last catch-up) adds an anti-join that reads
both tables' keys. That difference in time tells the caller nothing it is not told anyway: only an
admin with MFA, checked by the audit service and again by identity, reaches a lookup, and the
answer itself says found or not.
`;
if (!args['no-write']) {
  writeFileSync(new URL(`results/subject-reidentify-${date}.md`, import.meta.url), report);
  process.stdout.write(`written bench/results/subject-reidentify-${date}.md\n`);
} else process.stdout.write(report);

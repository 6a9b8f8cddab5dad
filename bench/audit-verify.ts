/**
 * Question (issue 13, "Measured"): how fast does `rampart audit verify` check the audit ledger —
 * target ≥ 100,000 events/s — and how many events per second does one process append, on the
 * embedded store (node:sqlite)?
 *
 *   node bench/audit-verify.ts [--events 200000] [--rounds 3] [--sequential 10000] [--no-write]
 *
 * Build: `--events` audit events (about 170 bytes of JSON each, like a gateway denial) appended to a
 * fresh ledger with the default checkpoint policy (every 1000 events, signed with Ed25519 and
 * exported to a file), 1000 appends in flight at a time — the ledger writes them in transactions
 * of up to 500. Then `--sequential` more, one at a time (a transaction each: the slowest way in).
 * Baseline: the same rows inserted as plain rows (no canonical JSON, no hash, no checkpoint) in
 * transactions of 500.
 *
 * Verify: `verifyLedger` over the whole store with the exported checkpoints, `--rounds` times;
 * baseline: streaming the same rows with the same paged queries and no hashing. Medians.
 *
 * Prints events/s (and CPU use: one core is 100%) and writes bench/results/audit-verify-<date>.md.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openEmbeddedStore } from '@rampart/sdk';
import { openLedger, readEntryPages, readExportFile, verifyLedger } from '@rampart/audit';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    sequential: { type: 'string', default: '10000' },
    'no-write': { type: 'boolean', default: false },
  },
});
const events = Number(args.events);
const rounds = Number(args.rounds);
const sequential = Number(args.sequential);
const IN_FLIGHT = 1000;

const event = (n: number) => ({
  type: n % 5 === 0 ? 'login.failed' : 'gateway.denied',
  outcome: 'failure',
  reason: 'rate_limited',
  component: 'gateway',
  route: '/orders/{id}',
  traceId: n.toString(16).padStart(32, '0'),
  requestId: `req-${n}`,
  clientId: 'shop-web',
  principal: `p-${(n % 997).toString(36)}`,
  time: new Date(1_800_000_000_000 + n).toISOString(),
});

interface Timed {
  readonly seconds: number;
  /** CPU time (user + system) of this process. */
  readonly cpuSeconds: number;
  /** CPU time over wall time: 1.0 is one core busy; less means waiting, or other processes ran. */
  readonly cores: number;
}

async function timed(work: () => Promise<void>): Promise<Timed> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { seconds, cpuSeconds, cores: cpuSeconds / seconds };
}

const median = (list: readonly number[]): number =>
  [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? NaN;

const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-audit-'));
try {
  const store = openEmbeddedStore(join(dir, 'audit.sqlite'));
  const exportFile = join(dir, 'checkpoints.jsonl');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const ledger = await openLedger({
    store,
    signingKey: privateKey,
    exportFile,
    onError: (error) => {
      throw error;
    },
  });

  const batched = await timed(async () => {
    for (let n = 0; n < events; n += IN_FLIGHT) {
      const count = Math.min(IN_FLIGHT, events - n);
      await Promise.all(Array.from({ length: count }, (_, i) => ledger.append(`ev-${n + i}`, event(n + i))));
    }
  });
  const oneByOne = await timed(async () => {
    for (let n = events; n < events + sequential; n++) await ledger.append(`ev-${n}`, event(n));
  });
  await ledger.close();
  const total = events + sequential;

  await store.migrate([
    {
      id: 'bench-plain',
      sql: 'CREATE TABLE plain_entries (seq BIGINT PRIMARY KEY, id TEXT NOT NULL, event TEXT NOT NULL)',
    },
  ]);
  const plain = await timed(async () => {
    for (let n = 0; n < events; n += 500) {
      await store.transaction(async (tx) => {
        for (let i = n; i < Math.min(n + 500, events); i++) {
          await tx.run('INSERT INTO plain_entries (seq, id, event) VALUES (?, ?, ?)', [
            i + 1,
            `ev-${i}`,
            JSON.stringify(event(i)),
          ]);
        }
      });
    }
  });

  const exported = await readExportFile(exportFile);
  const verifySamples: Timed[] = [];
  const readSamples: Timed[] = [];
  let checkpoints = 0;
  for (let round = 0; round < rounds; round++) {
    readSamples.push(
      await timed(async () => {
        let rows = 0;
        for await (const page of readEntryPages(store)) rows += page.length;
        if (rows !== total) throw new Error(`read ${rows} rows, expected ${total}`);
      }),
    );
    verifySamples.push(
      await timed(async () => {
        const result = await verifyLedger(store, { publicKey, exportedCheckpoints: exported });
        if (!result.ok || result.events !== total)
          throw new Error(`verification failed: ${JSON.stringify(result)}`);
        checkpoints = result.checkpoints;
      }),
    );
  }
  await store.close();

  /** Events per second of wall time, and per second of this process's CPU time (one core's worth). */
  const rates = (count: number, samples: readonly Timed[]) => ({
    eventsPerSecond: Math.round(count / median(samples.map((sample) => sample.seconds))),
    eventsPerCpuSecond: Math.round(count / median(samples.map((sample) => sample.cpuSeconds))),
    cores: median(samples.map((sample) => sample.cores)),
  });
  const figures = {
    verify: { ...rates(total, verifySamples), checkpoints, exportedCheckpoints: exported.length },
    readOnly: rates(total, readSamples),
    appendBatched: rates(events, [batched]),
    appendOneByOne: rates(sequential, [oneByOne]),
    plainInsert: rates(events, [plain]),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  const met = figures.verify.eventsPerSecond >= 100_000;
  const metPerCore = figures.verify.eventsPerCpuSecond >= 100_000;
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()}/${arch()}, Node ${process.version}`;
  const load = loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
  const date = new Date().toISOString().slice(0, 10);
  const f = (n: number): string => n.toLocaleString('en-US');
  const pct = (n: number): string => `${Math.round(n * 100)}%`;
  const report = `# Audit ledger: verify and append on the embedded store (${date})

Machine: ${machine}; load average at the end ${load}. ${f(total)} events of ~${JSON.stringify(event(1)).length} bytes,
checkpoints every 1000 (Ed25519, exported). Verification: medians of ${rounds} rounds. "per CPU-second" divides by
this process's own CPU time: one core's throughput, whatever else the machine was running.

| what | events/s | events per CPU-second | CPU (1 core = 100%) |
| --- | ---: | ---: | ---: |
| **verifyLedger** (every hash, link and checkpoint; ${f(checkpoints)} stored + ${f(exported.length)} exported) | **${f(figures.verify.eventsPerSecond)}** | **${f(figures.verify.eventsPerCpuSecond)}** | ${pct(figures.verify.cores)} |
| baseline: stream the same rows, no hashing | ${f(figures.readOnly.eventsPerSecond)} | ${f(figures.readOnly.eventsPerCpuSecond)} | ${pct(figures.readOnly.cores)} |
| ratio verify / read-only | ${(figures.verify.eventsPerSecond / figures.readOnly.eventsPerSecond).toFixed(2)} | ${(figures.verify.eventsPerCpuSecond / figures.readOnly.eventsPerCpuSecond).toFixed(2)} | |
| append, ${IN_FLIGHT} in flight (transactions of ≤ 500) | ${f(figures.appendBatched.eventsPerSecond)} | ${f(figures.appendBatched.eventsPerCpuSecond)} | ${pct(batched.cores)} |
| append, one at a time (a transaction each) | ${f(figures.appendOneByOne.eventsPerSecond)} | ${f(figures.appendOneByOne.eventsPerCpuSecond)} | ${pct(oneByOne.cores)} |
| baseline: plain INSERT of the same rows, transactions of 500 | ${f(figures.plainInsert.eventsPerSecond)} | ${f(figures.plainInsert.eventsPerCpuSecond)} | ${pct(plain.cores)} |
| ratio append (in flight) / plain INSERT | ${(figures.appendBatched.eventsPerSecond / figures.plainInsert.eventsPerSecond).toFixed(2)} | ${(figures.appendBatched.eventsPerCpuSecond / figures.plainInsert.eventsPerCpuSecond).toFixed(2)} | |

Target (issue 13): verification ≥ 100,000 events/s — wall clock **${met ? 'met' : 'not met'}**, per CPU-second (one core)
**${metPerCore ? 'met' : 'not met'}**. Peak RSS of the whole run: ${figures.maxRssMiB} MiB.

\`\`\`json
${JSON.stringify({ machine, load, events: total, rounds, figures }, null, 2)}
\`\`\`
`;
  process.stdout.write(report);
  if (!args['no-write']) {
    const results = join(import.meta.dirname, 'results');
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, `audit-verify-${date}.md`), report);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

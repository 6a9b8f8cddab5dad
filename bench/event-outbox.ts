/**
 * Question: what does `emit()` cost with the audit outbox as its sink (one `writeSync` of a JSON
 * line to a segment file per event), against the sink components use today, `logSink` on the
 * PII-safe logger — writing to a null destination and to a file — in the same process?
 *
 *   node bench/event-outbox.ts [--iterations 50000] [--rounds 7] [--no-write]
 *
 * Prints ops/s and µs/event per sink and the ratio against logSink, and writes
 * bench/results/event-outbox-<date>.md (figures as a table and as JSON, machine, Node, date).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, arch, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino, type DestinationStream } from 'pino';
import {
  createLogger,
  createSecurityEvents,
  logSink,
  openAuditOutbox,
  type SecurityEventInput,
  type SecurityEventSink,
} from '@rampart/sdk';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '7' },
    'no-write': { type: 'boolean', default: false },
  },
});
const iterations = Number(args.iterations);
const rounds = Number(args.rounds);
const subjectKey = randomBytes(32);
const quiet = { warn: () => undefined, error: () => undefined };

/** A gateway denial with every field an investigation asks for. */
const INPUT: SecurityEventInput = {
  event: 'request.denied',
  outcome: 'failure',
  reason: 'GW_TOKEN_EXPIRED',
  subject: '0b0e3c5e-7d1a-4f57-9f0e-2f7c1f1b6a11',
  clientId: 'shop-web',
  route: 'GET /orders/{id}',
  sourceIp: '203.0.113.7',
  userAgent:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  requestId: 'req-8f3a2c91',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
};

let nullBytes = 0;
const nullDestination: DestinationStream = {
  write(line: string) {
    nullBytes += line.length;
  },
};

interface Sink {
  readonly name: string;
  readonly description: string;
  /** A fresh sink for one round, and how to dispose of it. */
  open(): { sink: SecurityEventSink; dispose(): void };
}

const sinks: readonly Sink[] = [
  {
    name: 'logSink → null',
    description: 'today: the safe logger (masking) at info, to a destination that discards the line',
    open: () => ({ sink: logSink(createLogger('bench', { destination: nullDestination })), dispose() {} }),
  },
  {
    name: 'logSink → file',
    description: 'the safe logger writing synchronously to a file (pino.destination, sync)',
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-log-'));
      const destination = pino.destination({ dest: join(dir, 'log.jsonl'), sync: true });
      return {
        sink: logSink(createLogger('bench', { destination })),
        dispose() {
          destination.flushSync();
          destination.end();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'audit outbox',
    description: 'openAuditOutbox: one writeSync per event to a 0600 segment, 4 MiB rotation',
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-outbox-'));
      const outbox = openAuditOutbox({ stateDir: dir, log: quiet, maxBytes: 2 ** 40 });
      return {
        sink: outbox,
        dispose() {
          outbox.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

/** Median µs per emit over the rounds, each round on a fresh sink. */
function measure(sink: Sink): number {
  const samples: number[] = [];
  for (let round = -1; round < rounds; round += 1) {
    const opened = sink.open();
    const events = createSecurityEvents({ serviceName: 'gateway', sink: opened.sink, subjectKey });
    const count = round < 0 ? Math.min(iterations, 10_000) : iterations; // round -1: warm-up
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i += 1) events.emit(INPUT);
    const elapsed = Number(process.hrtime.bigint() - start);
    events.close();
    opened.dispose();
    if (round >= 0) samples.push(elapsed / count / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

interface Row {
  readonly sink: string;
  readonly description: string;
  readonly usPerEvent: number;
  readonly opsPerSecond: number;
  readonly vsLogSink: number;
}

// Measure each sink twice, in forward and then reverse order, and keep the mean of the two medians.
const us = new Map<string, number[]>();
for (const order of [sinks, [...sinks].reverse()])
  for (const sink of order) us.set(sink.name, [...(us.get(sink.name) ?? []), measure(sink)]);
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const baseline = mean(us.get('logSink → null') ?? []);
const rows: Row[] = sinks.map((sink) => {
  const value = mean(us.get(sink.name) ?? []);
  return {
    sink: sink.name,
    description: sink.description,
    usPerEvent: Math.round(value * 100) / 100,
    opsPerSecond: Math.round(1e6 / value),
    vsLogSink: Math.round((value / baseline) * 100) / 100,
  };
});

const cpu = cpus();
const machine = {
  cpu: cpu[0]?.model ?? 'unknown',
  cores: cpu.length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  platform: `${platform()} ${arch()}`,
  node: process.version,
};
const date = new Date().toISOString();
const table = [
  '| sink | µs/event | events/s | cost vs logSink → null |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map(
    (r) => `| ${r.sink} | ${r.usPerEvent.toFixed(2)} | ${r.opsPerSecond} | ${r.vsLogSink.toFixed(2)}x |`,
  ),
].join('\n');
process.stdout.write(`${table}\n\n${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n`);

if (!args['no-write']) {
  const report = `# emit() with the audit outbox — ${date.slice(0, 10)}

Question: what does \`emit()\` cost with the audit outbox as its sink, against \`logSink\` on the
PII-safe logger (what components use today)? The same gateway denial (subject HMAC, client id,
route, source IP, user agent, request and trace ids) through \`createSecurityEvents\`; median of
${rounds} rounds of ${iterations} events on a fresh sink each, after a warm-up, every sink measured
twice (forward and reverse order) in one process (\`node bench/event-outbox.ts\`). Shipping is not
running: this is the request path's cost only. The outbox writes to ${tmpdir()} (page cache; no fsync per event).

${table}

${rows.map((r) => `- **${r.sink}**: ${r.description}.`).join('\n')}

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}. Date: ${date}.

\`\`\`json
${JSON.stringify({ benchmark: 'event-outbox', date, machine, iterations, rounds, results: rows }, null, 2)}
\`\`\`
`;
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `event-outbox-${date.slice(0, 10)}.md`);
  writeFileSync(file, report);
  process.stdout.write(`wrote ${file} (${nullBytes} bytes to the null destination)\n`);
}

/**
 * Question: what does the PII-safe logger cost per line, against plain pino writing the same
 * fields to the same null destination — for lines with no PII (the common case) and with PII?
 *
 *   node bench/logger.ts [--iterations 200000] [--rounds 7] [--no-write]
 *
 * Prints ns/line and the ratio, and writes bench/results/logger-<date>.md (figures as a table
 * and as JSON, with the machine, Node version and date).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem, platform, arch } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino, type DestinationStream, type Logger } from 'pino';
import { createLogger } from '@rampart/sdk';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '7' },
    'no-write': { type: 'boolean', default: false },
  },
});
const iterations = Number(args.iterations);
const rounds = Number(args.rounds);

let bytes = 0;
/** Discards lines, but keeps their length so the work cannot be optimised away. */
const nullDestination: DestinationStream = {
  write(line: string) {
    bytes += line.length;
  },
};

const SENSITIVE = ['email', 'phone', 'address', 'name'];
const plain = pino({ name: 'bench', level: 'info' }, nullDestination);
const safe = createLogger('bench', { sensitiveKeys: SENSITIVE, destination: nullDestination });

type Line = (log: Logger, i: number) => void;

const lines: Record<string, { readonly description: string; readonly line: Line }> = {
  'no PII': {
    description: 'request log: ids, method, URL, status, timing, a nested user with roles, a message',
    line: (log, i) => {
      log.info(
        {
          requestId: 'req-8f3a2c',
          method: 'GET',
          url: '/orders/1234?page=2',
          statusCode: 200,
          responseTime: 12.4 + (i & 7),
          user: { id: 'usr_42', roles: ['customer'], tenant: 'shop' },
        },
        'request completed',
      );
    },
  },
  'message only': {
    description: 'a bare message with no object',
    line: (log) => {
      log.info('cache warmed in 35 ms for 120 entries');
    },
  },
  'with PII': {
    description:
      'an e-mail and phone under sensitive keys, a card number and a JWT in strings, PII in the message',
    line: (log) => {
      log.info(
        {
          requestId: 'req-8f3a2c',
          user: { id: 'usr_42', email: 'jane.doe@example.com', phone: '+44 20 7946 0958', name: 'Jane Doe' },
          note: 'paid with 4242 4242 4242 4242',
          authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfNDIifQ.c2lnbmF0dXJl',
        },
        'login by jane.doe@example.com',
      );
    },
  },
  'with error': {
    description: 'an Error whose message holds an e-mail, with a cause (stack traces scanned)',
    line: (log) => {
      log.error({ err: ERROR }, 'profile update failed');
    },
  },
};
const ERROR = new Error('duplicate key for jane.doe@example.com', { cause: new Error('connection reset') });

function measure(log: Logger, line: Line): number {
  for (let i = 0; i < Math.min(iterations, 50_000); i += 1) line(log, i); // warm-up
  const samples: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i += 1) line(log, i);
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

interface Row {
  readonly case: string;
  readonly description: string;
  readonly pinoNsPerLine: number;
  readonly safeNsPerLine: number;
  readonly ratio: number;
}

const rows: Row[] = [];
for (const [name, { description, line }] of Object.entries(lines)) {
  // Alternate the order so neither logger always runs on a colder process.
  const first = measure(plain, line);
  const safeNs = measure(safe, line);
  const pinoNs = (first + measure(plain, line)) / 2;
  rows.push({
    case: name,
    description,
    pinoNsPerLine: Math.round(pinoNs),
    safeNsPerLine: Math.round(safeNs),
    ratio: Math.round((safeNs / pinoNs) * 100) / 100,
  });
}

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
  '| case | plain pino (ns/line) | safe logger (ns/line) | ratio |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.case} | ${r.pinoNsPerLine} | ${r.safeNsPerLine} | ${r.ratio.toFixed(2)}x |`),
].join('\n');

process.stdout.write(`${table}\n\n${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n`);

if (!args['no-write']) {
  const report = `# Logger cost per line — ${date.slice(0, 10)}

Question: what does \`createLogger\` (PII masking) cost per line against plain pino, writing
the same fields to the same null destination? Median of ${rounds} rounds of ${iterations} lines each,
after a warm-up, in one process (\`node bench/logger.ts\`).

${table}

${rows.map((r) => `- **${r.case}**: ${r.description}.`).join('\n')}

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}. Date: ${date}.

\`\`\`json
${JSON.stringify({ benchmark: 'logger', date, machine, iterations, rounds, results: rows }, null, 2)}
\`\`\`
`;
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `logger-${date.slice(0, 10)}.md`);
  writeFileSync(file, report);
  process.stdout.write(`wrote ${file} (${bytes} bytes logged)\n`);
}

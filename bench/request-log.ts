/**
 * Question: what does putting the request's trace and span ids on every request-scoped log line
 * cost the gateway per request — the access line as it was (request id and trace id as fields),
 * the same with the span id added as a field at each call site, and a child logger bound at
 * request start (request id, trace id, span id) that every line of the request goes through?
 * Also for a refused request (a `request refused` line, then the access line).
 *
 *   node bench/request-log.ts [--iterations 200000] [--rounds 15] [--no-write]
 *
 * Same PII-safe logger (`createLogger`), same null destination, one process, alternating order.
 * Prints ns/request and the ratio against the access line as it was, and writes
 * bench/results/request-log-<date>.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DestinationStream } from 'pino';
import { createLogger, type Logger } from '@rampart/sdk';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '15' },
    'no-write': { type: 'boolean', default: false },
  },
});
const iterations = Number(args.iterations);
const rounds = Number(args.rounds);

let bytes = 0;
const nullDestination: DestinationStream = {
  write(line: string) {
    bytes += line.length;
  },
};
const log = createLogger('gateway', { destination: nullDestination });

const REQUEST_ID = '6f0c2b9e-3f4a-4d1e-9a57-0b8f3c2d1e4a';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const labels = { method: 'GET', route: '/orders/{id}', status: '200' };

type Request = (i: number) => void;

const cases: Record<string, { readonly description: string; readonly request: Request }> = {
  'before: fields': {
    description: 'the access line as it was: request id and trace id as fields of the line',
    request: (i) => {
      log.info(
        { ...labels, http: '2.0', ms: 1.2 + (i & 7), requestId: REQUEST_ID, traceId: TRACE_ID },
        'request',
      );
    },
  },
  'span id as a field': {
    description: 'the same line with the span id added as one more field',
    request: (i) => {
      log.info(
        {
          ...labels,
          http: '2.0',
          ms: 1.2 + (i & 7),
          requestId: REQUEST_ID,
          traceId: TRACE_ID,
          spanId: SPAN_ID,
        },
        'request',
      );
    },
  },
  'child logger': {
    description: 'a child bound at request start to request id, trace id and span id; the line has the rest',
    request: (i) => {
      const requestLog: Logger = log.child({ requestId: REQUEST_ID, traceId: TRACE_ID, spanId: SPAN_ID });
      requestLog.info({ ...labels, http: '2.0', ms: 1.2 + (i & 7) }, 'request');
    },
  },
  'refused, fields': {
    description: 'a refused request with ids as fields: `request refused`, then the access line',
    request: (i) => {
      const ids = { requestId: REQUEST_ID, traceId: TRACE_ID, spanId: SPAN_ID };
      log.info(
        { stage: 'authenticate', code: 'GW_TOKEN_INVALID', reason: 'expired', ...ids },
        'request refused',
      );
      log.info({ ...labels, status: '401', http: '2.0', ms: 1.2 + (i & 7), ...ids }, 'request');
    },
  },
  'refused, child logger': {
    description: 'the same two lines through a child bound at request start',
    request: (i) => {
      const requestLog: Logger = log.child({ requestId: REQUEST_ID, traceId: TRACE_ID, spanId: SPAN_ID });
      requestLog.info(
        { stage: 'authenticate', code: 'GW_TOKEN_INVALID', reason: 'expired' },
        'request refused',
      );
      requestLog.info({ ...labels, status: '401', http: '2.0', ms: 1.2 + (i & 7) }, 'request');
    },
  },
  'service: before': {
    description:
      "an SDK service as it was: Fastify's per-request child bound to the request id, then the access line",
    request: (i) => {
      const requestLog: Logger = log.child({ reqId: REQUEST_ID });
      requestLog.info({ method: 'GET', route: '/orders/:id', status: 200, ms: 1.2 + (i & 7) }, 'request');
    },
  },
  'service: setBindings': {
    description: 'the same child, given the trace and span ids by `setBindings` once the span starts',
    request: (i) => {
      const requestLog: Logger = log.child({ reqId: REQUEST_ID });
      requestLog.setBindings({ traceId: TRACE_ID, spanId: SPAN_ID });
      requestLog.info({ method: 'GET', route: '/orders/:id', status: 200, ms: 1.2 + (i & 7) }, 'request');
    },
  },
};

function run(request: Request): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) request(i);
  return Number(process.hrtime.bigint() - start) / iterations;
}

// The machine is shared: rounds interleave the cases (each round in a rotated order), so drift in
// the machine's load touches every case alike; each case's figure is the median of its rounds.
const names = Object.keys(cases);
for (const name of names) for (let i = 0; i < Math.min(iterations, 50_000); i += 1) cases[name]?.request(i);
const figures = new Map<string, number[]>(names.map((name) => [name, []]));
for (let round = 0; round < rounds; round += 1) {
  for (let k = 0; k < names.length; k += 1) {
    const name = names[(round + k) % names.length] ?? '';
    const entry = cases[name];
    if (entry !== undefined) figures.get(name)?.push(run(entry.request));
  }
}
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const baseline = median(figures.get('before: fields') ?? []);
const refusedBaseline = median(figures.get('refused, fields') ?? []);
const serviceBaseline = median(figures.get('service: before') ?? []);
const rows = names.map((name) => {
  const ns = median(figures.get(name) ?? []);
  const against = name.startsWith('refused')
    ? refusedBaseline
    : name.startsWith('service')
      ? serviceBaseline
      : baseline;
  return {
    case: name,
    description: cases[name]?.description ?? '',
    nsPerRequest: Math.round(ns),
    ratio: Math.round((ns / against) * 100) / 100,
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
  '| case | ns/request | ratio |',
  '| --- | ---: | ---: |',
  ...rows.map((r) => `| ${r.case} | ${r.nsPerRequest} | ${r.ratio.toFixed(2)}x |`),
].join('\n');
process.stdout.write(`${table}\n\n${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n`);

if (!args['no-write']) {
  const report = `# Trace ids on the gateway's request log lines — ${date.slice(0, 10)}

Question: what does carrying the request's trace and span ids on every request-scoped line cost
the gateway per request, with the PII-safe logger writing to a null destination? Median of
${rounds} interleaved rounds of ${iterations} requests per case, one process
(\`node bench/request-log.ts\`). Ratios are against the gateway's access line as it was (allowed
requests), the refused request with ids as fields (refused requests) and the service's line as it
was (service rows).

${table}

${rows.map((r) => `- **${r.case}**: ${r.description}.`).join('\n')}

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}. Date: ${date}.

\`\`\`json
${JSON.stringify({ benchmark: 'request-log', date, machine, iterations, rounds, results: rows }, null, 2)}
\`\`\`
`;
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `request-log-${date.slice(0, 10)}.md`);
  writeFileSync(file, report);
  process.stdout.write(`wrote ${file} (${bytes} bytes logged)\n`);
}

/**
 * Question: what does exporting traces over OTLP (`telemetry.traces`) cost a gateway request — its
 * SERVER span and its upstream CLIENT span, started, given the gateway's attributes and ended —
 * against the same spans with no SDK (the default: the API's no-op, ids of their own)? The export's
 * own work (the batch processor, masking, JSON serialization, the HTTP request to the collector)
 * runs in the same thread, so it is in the figure: requests are made in chunks with the event loop
 * turning between them, and the clock stops after the last batch was accepted.
 *
 *   node --expose-gc bench/trace-export.ts [--requests 20000] [--rounds 6] [--no-write]
 *
 * The figure is CPU time (user + system, `process.cpuUsage`) per request, not wall time: on a
 * shared machine the wall clock mostly measures the other work. A full GC runs before each run, so
 * one run's garbage is not collected in the next.
 * The collector is a loopback HTTP server in this process that reads each body and answers 200
 * without parsing it (its cost is the collector's, not the component's; reading it is counted).
 * Alternating rounds, one process. Prints µs/request for each and the difference, and writes
 * bench/results/trace-export-<date>.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { createLogger, extractTraceContext, startSpanWithOwnIds, startTraceExport } from '@rampart/sdk';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '6' },
    'no-write': { type: 'boolean', default: false },
  },
});
const requests = Number(args.requests);
const rounds = Number(args.rounds);
const CHUNK = 200;

let received = 0;
const collector = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
const log = createLogger('bench', { level: 'silent' });
/** One request's spans, as the gateway makes them (request-span.ts, upstream-span.ts). */
function oneRequest(tracer: Tracer, index: number): void {
  const parent =
    index % 2 === 0
      ? ROOT_CONTEXT
      : extractTraceContext({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
  const server = startSpanWithOwnIds(
    tracer,
    'GET',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'network.protocol.version': '1.1',
        'rampart.request_id': '6f0c2b9e-3f4a-4d1e-9a57-0b8f3c2d1e4a',
      },
    },
    parent,
  );
  const client = startSpanWithOwnIds(
    tracer,
    'GET /orders/{id}',
    { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET', 'rampart.upstream': 'orders' } },
    trace.setSpan(parent, server),
  );
  client.setAttribute('http.response.status_code', 200);
  client.end();
  server.updateName('GET /orders/{id}');
  server.setAttributes({ 'http.route': '/orders/{id}', 'http.response.status_code': 200 });
  server.end();
}

async function run(exporting: boolean): Promise<number> {
  const exporter = exporting
    ? await startTraceExport({
        settings: { endpoint },
        serviceName: 'gateway',
        system: 'bench',
        trustDomain: 'bench.local',
        edge: true,
        log,
        // Large enough that no span is dropped: the figure is the cost of exporting them all.
        limits: { maxQueueSize: 65_536 },
      })
    : undefined;
  // Fresh each run: a tracer taken earlier keeps the provider it found (even a stopped one).
  const tracer = trace.getTracer('rampart.gateway');
  (globalThis as { gc?: () => void }).gc?.();
  const started = process.cpuUsage();
  for (let done = 0; done < requests; done += CHUNK) {
    for (let index = done; index < Math.min(requests, done + CHUNK); index += 1) oneRequest(tracer, index);
    await turn();
  }
  await exporter?.flush();
  const used = process.cpuUsage(started);
  const elapsed = (used.user + used.system) / requests;
  await exporter?.stop({ deadlineMs: 5_000 });
  return elapsed;
}

const results: Record<'off' | 'on', number[]> = { off: [], on: [] };
await run(false);
await run(true); // warm-up of both paths
for (let round = 0; round < rounds; round += 1) {
  for (const exporting of round % 2 === 0 ? [false, true] : [true, false]) {
    results[exporting ? 'on' : 'off'].push(await run(exporting));
  }
}
collector.close();

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const off = median(results.off);
const on = median(results.on);
const lines = [
  `# trace-export — ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${arch()}, Node ${process.version}; shared with other work.`,
  `Command: \`node --expose-gc bench/trace-export.ts --requests ${requests} --rounds ${rounds}\` (${CHUNK} requests per turn of the event loop); load average at the end ${loadavg()
    .map((load) => load.toFixed(1))
    .join(', ')}.`,
  '',
  'One gateway request = its SERVER and CLIENT spans with the gateway\'s attributes. "off": no SDK',
  '(the default, no-op spans with ids of their own). "on": `startTraceExport` to a loopback OTLP/HTTP',
  'collector, every span sampled and exported, the clock stopped after the last batch was accepted.',
  '',
  '| export | CPU µs per request (median of rounds) | rounds |',
  '| --- | --- | --- |',
  `| off | ${off.toFixed(2)} | ${results.off.map((v) => v.toFixed(2)).join(', ')} |`,
  `| on | ${on.toFixed(2)} | ${results.on.map((v) => v.toFixed(2)).join(', ')} |`,
  '',
  `Export cost: **${(on - off).toFixed(2)} µs per request** (${(received / 2 ** 20).toFixed(1)} MiB of OTLP JSON sent in all).`,
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);
if (!args['no-write']) {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `trace-export-${new Date().toISOString().slice(0, 10)}.md`), lines.join('\n'));
}

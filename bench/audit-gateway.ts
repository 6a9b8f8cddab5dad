/**
 * Question: what does auditing cost the gateway? Every denial is a security event that goes to the
 * gateway worker's log, its on-disk outbox and, in batches over mTLS, to the audit service. Issue
 * 13's target: the gateway's throughput with audit on stays ≥ 97% of audit off.
 *
 * The gateway's real worker threads (`startWorkerPool`, 2 workers, the full pipeline) run in this
 * process, in front of an mTLS echo `orders`; the audit service runs in a process of its own
 * (bench/support/audit-child.ts, embedded store). wrk (Debian's package) drives two workloads:
 *   denied:  GET /orders without a token — a 401 and one `request.denied` event per request;
 *   allowed: GET /orders with an at+jwt — forwarded, no event (what audit costs when nothing is denied).
 * Each round starts the pool once with audit on (the outbox and shipper of `startAuditShipping`)
 * and once with audit off (events to the log only), in alternating order. After each audit-on run
 * the benchmark waits until the audit service holds one event per denial: none lost, none doubled.
 *
 * Run: node bench/audit-gateway.ts [--seconds 10] [--connections 32] [--rounds 3] [--no-write]
 * Writes bench/results/audit-gateway-<date>.md.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { startWorkerPool, type WorkerPool } from '@rampart/gateway';
import { setUp, TRUST_DOMAIN, type Ports, type Setup } from '@rampart/gateway/testing';
import { startAuditProcess, type AuditProcess } from './support/audit-process.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    'no-write': { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const connections = Number(args.connections);
const rounds = Number(args.rounds);
const WORKERS = 2;
/** Limits counted on every request, never reached: the pipeline runs whole, nothing is refused for rate. */
const UNREACHABLE = '{ points: 1000000000, window: 1m }';

const yaml = (ports: Ports): string => `version: 1
name: bench
trustDomain: ${TRUST_DOMAIN}
ports: { gateway: ${ports.gateway}, admin: ${ports.admin} }
identity:
  issuer: ${ports.issuer}
  dangerouslyAllowHttpIssuer: true
gateway:
  workers: ${WORKERS}
  defaultRateLimit: { principal: ${UNREACHABLE}, ip: ${UNREACHABLE} }
policies:
  read: { scopes: [orders:read] }
services:
  orders:
    entry: orders.ts
    port: ${ports.orders}
    callers: [gateway]
    routes:
      - { method: GET, path: /orders, policy: read }
`;

interface Run {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Responses that were not the workload's expected status class. */
  readonly unexpected: number;
  /** This process's CPU (the gateway's workers and main thread) per request, µs. */
  readonly cpuUsPerRequest: number;
}

/** One wrk run; `token` makes it the allowed workload. Asynchronous: this thread serves the issuer's key set and the echo service. */
async function wrk(port: number, token: string | undefined): Promise<Run> {
  const cpu0 = process.cpuUsage();
  const { stdout: out } = await promisify(execFile)(
    'wrk',
    [
      '-t2',
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      ...(token === undefined ? [] : ['-H', `authorization: Bearer ${token}`]),
      `https://127.0.0.1:${port}/orders`,
    ],
    { encoding: 'utf8' },
  );
  const cpu = process.cpuUsage(cpu0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const scale = { us: 0.001, ms: 1, s: 1000 } as const;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p99Ms: p99 === null ? Number.NaN : Number(p99[1]) * scale[p99[2] as keyof typeof scale],
    requests,
    unexpected: token === undefined ? requests - non2xx : non2xx,
    cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, requests),
  };
}

async function arm(setup: Setup, audit: AuditProcess | undefined, stateDir: string, token: string) {
  const pool = startWorkerPool(
    {
      ...setup.options,
      count: WORKERS,
      log: setup.log,
      ...(audit === undefined ? {} : { audit: { stateDir, url: audit.url } }),
    },
    (error) => {
      throw error;
    },
  );
  await pool.started;
  try {
    const before = audit === undefined ? 0 : await audit.head();
    await wrk(setup.ports.gateway, undefined); // warm-up, both paths
    await wrk(setup.ports.gateway, token);
    const warmed = audit === undefined ? 0 : await waitForHead(audit, before);
    const refused0 = await refusals(pool);
    const denied = await wrk(setup.ports.gateway, undefined);
    // wrk counts the requests answered in its window; the gateway's own counter also has the few
    // answered after it, each of which is a denial and an event too.
    const refused = (await refusals(pool)) - refused0;
    // The denials' events drain before the allowed run, which would otherwise share the cores with
    // their shipping and ingest.
    let delivered = Number.NaN;
    if (audit !== undefined) delivered = (await waitForHead(audit, warmed)) - warmed;
    const allowed = await wrk(setup.ports.gateway, token);
    return { denied, allowed, refused, delivered };
  } finally {
    await pool.stop();
  }
}

/** The 401s the gateway's workers have answered so far (`http_requests_total`). */
async function refusals(pool: WorkerPool): Promise<number> {
  let total = 0;
  for (const metrics of await pool.metrics()) {
    const counter = metrics.find((metric) => metric.name === 'http_requests_total');
    for (const value of counter?.values ?? [])
      if (String(value.labels['status']) === '401') total += value.value;
  }
  return total;
}

/** Waits until the audit service's head stops moving (every outbox drained); returns it. */
async function waitForHead(audit: AuditProcess, from: number): Promise<number> {
  let last = from;
  let still = 0;
  for (let i = 0; i < 600 && still < 6; i++) {
    await sleep(250);
    const head = await audit.head();
    still = head === last ? still + 1 : 0;
    last = head;
  }
  return last;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-audit-gateway-'));
const setup = await setUp(yaml);
const token = await setup.token();
const audit = await startAuditProcess({
  ca: setup.mesh.ca,
  bundlePem: setup.mesh.bundle.join('\n'),
  trustDomain: TRUST_DOMAIN,
  yaml: yaml(setup.ports),
  dir,
});
type Arm = Awaited<ReturnType<typeof arm>>;
const samples: { on: Arm[]; off: Arm[] } = { on: [], off: [] };
try {
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? (['on', 'off'] as const) : (['off', 'on'] as const);
    for (const which of order) {
      process.stderr.write(`round ${round}/${rounds}: audit ${which} …\n`);
      const stateDir = join(dir, `gateway-${round}-${which}`);
      mkdirSync(stateDir, { mode: 0o700 });
      samples[which].push(await arm(setup, which === 'on' ? audit : undefined, stateDir, token));
    }
  }
} finally {
  await audit.stop();
  await setup.close();
  rmSync(dir, { recursive: true, force: true });
}

const summary = (runs: readonly Run[]) => ({
  requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
  p99Ms: median(runs.map((r) => r.p99Ms)),
  cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
  unexpected: runs.reduce((sum, r) => sum + r.unexpected, 0),
});
const figures = {
  denied: { on: summary(samples.on.map((s) => s.denied)), off: summary(samples.off.map((s) => s.denied)) },
  allowed: { on: summary(samples.on.map((s) => s.allowed)), off: summary(samples.off.map((s) => s.allowed)) },
  delivery: samples.on.map((s) => ({ denials: s.refused, stored: s.delivered })),
};
const ratio = {
  denied: figures.denied.on.requestsPerSecond / figures.denied.off.requestsPerSecond,
  allowed: figures.allowed.on.requestsPerSecond / figures.allowed.off.requestsPerSecond,
};
const exact = figures.delivery.every((d) => d.denials === d.stored);
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()}/${arch()}, Node ${process.version}`;
const load = loadavg()
  .map((n) => n.toFixed(1))
  .join(' ');
const date = new Date().toISOString().slice(0, 10);
const f = (n: number): string => Math.round(n).toLocaleString('en-US');
const row = (what: string, s: ReturnType<typeof summary>): string =>
  `| ${what} | ${f(s.requestsPerSecond)} | ${s.p99Ms.toFixed(2)} | ${f(s.cpuUsPerRequest)} | ${s.unexpected} |`;
const met = (r: number): string => (r >= 0.97 ? '**met**' : '**not met**');
const report = `# What auditing costs the gateway (${date})

Machine: ${machine}; load average at the end ${load}. The gateway's ${WORKERS} worker threads in one
process, wrk with ${connections} connections for ${seconds} s per run, medians of ${rounds} rounds; audit on and
off alternate. CPU per request is the gateway process's own (workers and main thread).

| workload, audit | req/s | p99 ms | gateway CPU µs/request | unexpected statuses |
| --- | ---: | ---: | ---: | ---: |
${row('denied (401, one event each), audit **on**', figures.denied.on)}
${row('denied, audit off (log only)', figures.denied.off)}
${row('allowed (forwarded, no event), audit **on**', figures.allowed.on)}
${row('allowed, audit off', figures.allowed.off)}

Ratio on/off: denied **${ratio.denied.toFixed(3)}** (target ≥ 0.97: ${met(ratio.denied)}), allowed **${ratio.allowed.toFixed(3)}** (${met(ratio.allowed)}).

Delivery: ${figures.delivery.map((d) => `${f(d.denials)} denials → ${f(d.stored)} stored`).join('; ')} — ${exact ? 'every denial stored once' : '**counts differ**'}.

\`\`\`json
${JSON.stringify({ machine, load, workers: WORKERS, connections, seconds, rounds, figures, ratio }, null, 2)}
\`\`\`
`;
process.stdout.write(report);
if (!args['no-write']) {
  const results = join(import.meta.dirname, 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, `audit-gateway-${date}.md`), report);
}

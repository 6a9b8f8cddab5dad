/**
 * Question: how many security events per second does the audit service take in on one core — over
 * its real endpoint (`POST /v1/events`, mTLS, schema check, hash chain, search columns, detection
 * rules) — on the embedded store and on PostgreSQL?
 *
 * The audit service runs in a process of its own (bench/support/audit-child.ts: `startAudit` as
 * `rampart up` runs it, without the mesh join). This process posts batches of 500 gateway-shaped
 * denial events (the shipper's batch size) as the gateway's workload, C requests in flight, and
 * reads the audit process's CPU time from /proc: "per CPU-second" is one core's throughput in the
 * audit service itself, whatever the load generator costs. The baseline, in the same run, is the
 * same batches to the same endpoint refused by the schema check (every event missing `reason`):
 * TLS, HTTP and JSON parsing without storing anything — what the ledger adds is the difference.
 *
 * Run: node bench/audit-ingest.ts [--seconds 8] [--in-flight 4] [--rounds 3] [--engines embedded,postgres] [--no-write]
 * Writes bench/results/audit-ingest-<date>.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  verifyPeerSpiffeId,
} from '@rampart/mesh';
import { provisionServiceDatabase } from '@rampart/sdk';
import { PG_ADMIN_URL, asPgAdmin, pgUrlFor, requireService } from '@rampart/testing';
import { cpuSeconds, startAuditProcess, type AuditProcess } from './support/audit-process.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    'in-flight': { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    engines: { type: 'string', default: 'embedded,postgres' },
    'no-write': { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const inFlight = Number(args['in-flight']);
const rounds = Number(args.rounds);
const BATCH = 500;
const TRUST_DOMAIN = 'bench.local';

const yamlFor = (storage: string): string => `version: 1
name: bench
trustDomain: ${TRUST_DOMAIN}
${storage}
services:
  orders: { entry: orders.ts, port: 7102, callers: [gateway] }
`;

/** A gateway denial as the gateway emits it: every investigation field filled. */
function denial(n: number): Record<string, string> {
  return {
    id: randomUUID(),
    time: new Date().toISOString(),
    event: 'request.denied',
    service: 'gateway',
    outcome: 'failure',
    reason: 'GW_TOKEN_MISSING',
    subject: `ps_${randomBytes(16).toString('base64url').slice(0, 22)}`,
    requestId: randomUUID(),
    traceId: randomBytes(16).toString('hex'),
    route: 'GET /orders/{id}',
    sourceIp: `198.51.100.${n % 250}`,
    userAgent: 'bench/1.0',
  };
}

interface Rate {
  readonly eventsPerSecond: number;
  readonly eventsPerCpuSecond: number;
  /** The audit process's CPU use: one core = 1. */
  readonly cores: number;
}

/** Posts batches for `seconds`, `inFlight` at a time; counts the events the audit service took. */
async function drive(audit: AuditProcess, agent: Agent, valid: boolean): Promise<Rate> {
  const body = (): string =>
    JSON.stringify({
      events: Array.from({ length: BATCH }, (_, i) => {
        const event = denial(i);
        if (!valid) delete event['reason'];
        return event;
      }),
    });
  const cpu0 = cpuSeconds(audit.pid);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let events = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const response = await request(`${audit.url}/v1/events`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: body(),
      });
      await response.body.dump();
      const expected = valid ? 200 : 400;
      if (response.statusCode !== expected) throw new Error(`audit answered ${response.statusCode}`);
      events += BATCH;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(audit.pid) - cpu0;
  return { eventsPerSecond: events / wall, eventsPerCpuSecond: events / cpu, cores: cpu / wall };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const medianRate = (samples: readonly Rate[]): Rate => ({
  eventsPerSecond: median(samples.map((s) => s.eventsPerSecond)),
  eventsPerCpuSecond: median(samples.map((s) => s.eventsPerCpuSecond)),
  cores: median(samples.map((s) => s.cores)),
});

const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-audit-ingest-'));
const figures: Record<string, { ingest: Rate; refused: Rate; stored: number }> = {};
const cleanups: (() => Promise<void>)[] = [];
try {
  const ca = await CertificateAuthority.open(join(dir, 'ca'), { trustDomain: TRUST_DOMAIN });
  const bundlePem = await ca.bundlePem();
  const gatewayId = componentSpiffeId(TRUST_DOMAIN, 'gateway');
  const { keyPem, csrPem } = await createWorkloadCsr(gatewayId);
  const gateway = await ca.issue({ csrPem, spiffeId: gatewayId });

  for (const engine of args.engines.split(',')) {
    let storage = 'storage:\n  sql: { kind: embedded }';
    let env: Record<string, string> = {};
    if (engine === 'postgres') {
      if ((await requireService('postgres')).skip !== false) {
        process.stderr.write('PostgreSQL is not reachable: skipping it\n');
        continue;
      }
      const database = `rampart_bench_${randomBytes(4).toString('hex')}`;
      await asPgAdmin((c) => c.query(`CREATE DATABASE ${database}`));
      cleanups.push(async () => {
        await asPgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
        await asPgAdmin((c) => c.query('DROP ROLE IF EXISTS rampart_audit'));
      });
      const password = randomBytes(18).toString('base64url');
      await provisionServiceDatabase({ adminUrl: pgUrlFor(database), service: 'audit', password });
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${database}`;
      url.username = 'rampart_{service}';
      url.password = '';
      storage = `storage:\n  sql:\n    kind: postgres\n    url: '${url.toString().replace('rampart_%7Bservice%7D@', 'rampart_{service}:${env:RAMPART_SQL_PASSWORD}@')}'`;
      env = { RAMPART_SQL_PASSWORD: password };
    } else if (engine !== 'embedded') {
      throw new Error(`unknown engine ${engine}: embedded or postgres`);
    }
    const runDir = join(dir, engine);
    mkdirSync(runDir);
    const audit = await startAuditProcess({
      ca,
      bundlePem,
      trustDomain: TRUST_DOMAIN,
      yaml: yamlFor(storage),
      dir: runDir,
      env,
    });
    const agent = new Agent({
      connections: inFlight,
      connect: {
        ca: bundlePem,
        cert: gateway.certPem,
        key: keyPem,
        checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(TRUST_DOMAIN, 'audit')),
      },
    });
    try {
      process.stderr.write(`${engine}: warming up …\n`);
      await drive(audit, agent, true);
      const ingest: Rate[] = [];
      const refused: Rate[] = [];
      for (let round = 1; round <= rounds; round++) {
        process.stderr.write(`${engine}: round ${round}/${rounds}\n`);
        ingest.push(await drive(audit, agent, true));
        refused.push(await drive(audit, agent, false));
      }
      figures[engine] = {
        ingest: medianRate(ingest),
        refused: medianRate(refused),
        stored: await audit.head(),
      };
    } finally {
      await agent.close();
      await audit.stop();
    }
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()}/${arch()}, Node ${process.version}`;
const load = loadavg()
  .map((n) => n.toFixed(1))
  .join(' ');
const date = new Date().toISOString().slice(0, 10);
const f = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (n: number): string => `${Math.round(n * 100)}%`;
const rows = Object.entries(figures)
  .map(
    ([engine, { ingest, refused, stored }]) =>
      `| **${engine}**: stored (chain, search columns, detection) | **${f(ingest.eventsPerSecond)}** | **${f(ingest.eventsPerCpuSecond)}** | ${pct(ingest.cores)} | ${f(stored)} |\n` +
      `| ${engine} baseline: same batches refused by the schema check | ${f(refused.eventsPerSecond)} | ${f(refused.eventsPerCpuSecond)} | ${pct(refused.cores)} | |\n` +
      `| ${engine} ratio stored / refused | ${(ingest.eventsPerSecond / refused.eventsPerSecond).toFixed(2)} | ${(ingest.eventsPerCpuSecond / refused.eventsPerCpuSecond).toFixed(2)} | | |`,
  )
  .join('\n');
const report = `# Audit ingest over mTLS, embedded and PostgreSQL (${date})

Machine: ${machine}; load average at the end ${load}. Batches of ${BATCH} gateway denial events
(~${JSON.stringify(denial(1)).length} bytes each), ${inFlight} requests in flight, ${seconds} s per
measurement, medians of ${rounds} rounds. "Per CPU-second" divides by the audit process's own CPU time
(/proc): one core's throughput in the audit service, whatever the load generator costs.

| what | events/s | events per CPU-second | audit CPU (1 core = 100%) | events stored in all |
| --- | ---: | ---: | ---: | ---: |
${rows}

Measured over HTTP (\`POST /v1/events\`) only. NATS JetStream as the transport (\`storage.nats\`) is
built, and not measured by this script yet: its consumer appends one event per message through the
same ledger batching.

\`\`\`json
${JSON.stringify({ machine, load, batch: BATCH, inFlight, seconds, rounds, figures }, null, 2)}
\`\`\`
`;
process.stdout.write(report);
if (!args['no-write']) {
  const results = join(import.meta.dirname, 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, `audit-ingest-${date}.md`), report);
}

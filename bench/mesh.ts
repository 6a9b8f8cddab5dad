// Question: how much does mutual TLS between services cost, with keep-alive?
// Target (issue #4): mTLS keeps at least 85% of plain HTTP's throughput to the same service.
// Both servers (Fastify, same handler) run in one child process; this process generates the load
// with undici, the client the SDK uses. Besides requests/s, which on a 2-core machine is partly
// bound by the load generator's own TLS work, it measures the server's CPU time per request:
// the capacity a service loses to mTLS, independent of where the client runs.
// Run: node bench/mesh.ts [seconds=5] [connections=8]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { CertificateAuthority, createWorkloadCsr, serviceSpiffeId, verifyPeerSpiffeId } from '@rampart/mesh';

const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 8);
const TD = 'bench.local';

interface Run {
  readonly rps: number;
  readonly p99ms: number;
  /** Server CPU time per request, µs. */
  readonly cpuUs: number;
}

async function issue(ca: CertificateAuthority, spiffeId: string, ipSans: string[] = []) {
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await ca.issue({ csrPem, spiffeId, ipSans });
  return { key: keyPem, cert: issued.certPem };
}

const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-mesh-'));
const ca = await CertificateAuthority.open(join(dir, 'ca'), { trustDomain: TD });
const bundle = await ca.bundlePem();
const server = await issue(ca, serviceSpiffeId(TD, 'payments'), ['127.0.0.1']);
const client = await issue(ca, serviceSpiffeId(TD, 'orders'));

const child = spawn(
  process.execPath,
  [join(import.meta.dirname, 'mesh/server.ts'), JSON.stringify({ ...server, ca: bundle })],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
const nextLine = async (): Promise<string> => String((await lines.next()).value);
const ports = JSON.parse(await nextLine()) as { plain: number; mtls: number };
const serverCpu = async (): Promise<number> => {
  child.stdin.write('cpu\n');
  return Number(await nextLine());
};

async function load(url: string, agent: Agent): Promise<Run> {
  const latencies: number[] = [];
  const cpuBefore = await serverCpu();
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const start = performance.now();
        const res = await request(url, { dispatcher: agent });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
        latencies.push(performance.now() - start);
        count += 1;
      }
    }),
  );
  const cpuUs = ((await serverCpu()) - cpuBefore) / count;
  latencies.sort((a, b) => a - b);
  return { rps: count / seconds, p99ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0, cpuUs };
}

const plainAgent = new Agent({ connections });
const mtlsAgent = new Agent({
  connections,
  connect: {
    ca: bundle,
    cert: client.cert,
    key: client.key,
    checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(TD, 'payments')),
  },
});
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

interface Comparison {
  readonly name: string;
  readonly plain: { rps: number; cpuUs: number; p99: number };
  readonly mtls: { rps: number; cpuUs: number; p99: number };
}

async function compare(name: string, path: string): Promise<Comparison> {
  const plainUrl = `http://127.0.0.1:${ports.plain}${path}`;
  const mtlsUrl = `https://127.0.0.1:${ports.mtls}${path}`;
  // Warm up both, then alternate plain / mTLS so drift on a noisy machine hits both alike.
  await load(plainUrl, plainAgent);
  await load(mtlsUrl, mtlsAgent);
  const runs = { plain: [] as Run[], mtls: [] as Run[] };
  for (let round = 0; round < 3; round++) {
    runs.plain.push(await load(plainUrl, plainAgent));
    runs.mtls.push(await load(mtlsUrl, mtlsAgent));
  }
  const summary = (xs: Run[]) => ({
    rps: median(xs.map((r) => r.rps)),
    cpuUs: median(xs.map((r) => r.cpuUs)),
    p99: median(xs.map((r) => r.p99ms)),
  });
  return { name, plain: summary(runs.plain), mtls: summary(runs.mtls) };
}

const results = [
  await compare('typical: indexed query, 20 orders as JSON', '/orders'),
  await compare('trivial handler (worst case for TLS)', '/ping'),
];
await plainAgent.close();
await mtlsAgent.close();
child.stdin.end();
rmSync(dir, { recursive: true, force: true });

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const rows = results
  .map(
    (r) =>
      `| ${r.name} | ${r.plain.rps.toFixed(0)} | ${r.mtls.rps.toFixed(0)} | **${pct(r.mtls.rps / r.plain.rps)}** | ` +
      `${r.plain.cpuUs.toFixed(1)} µs | ${r.mtls.cpuUs.toFixed(1)} µs | **${pct(r.plain.cpuUs / r.mtls.cpuUs)}** | ` +
      `${r.plain.p99.toFixed(2)} / ${r.mtls.p99.toFixed(2)} ms |`,
  )
  .join('\n');
const report = `# Mesh: mTLS vs plain HTTP, keep-alive (${date})

Machine: ${machine}. ${connections} keep-alive connections, ${seconds} s per run, 3 alternating
rounds after warm-up, medians. Both servers in one child process (Fastify, the same handlers);
load from undici in this process. mTLS: TLS 1.3, P-256 SPIFFE certificates, client certificate
required. "Capacity" is plain CPU per request / mTLS CPU per request in the server process: the
share of its plain-HTTP capacity a service keeps under mTLS, whatever the client costs. Requests/s
on this 2-core machine also include the load generator's own TLS work.

| handler | plain req/s | mTLS req/s | throughput kept | plain CPU/req | mTLS CPU/req | capacity kept | p99 plain / mTLS |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows}

Target (issue #4): mTLS keeps at least 85% of plain throughput with keep-alive.
`;
process.stdout.write(report);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, `results/mesh-${date}.md`), report);

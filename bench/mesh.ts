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
const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
const nextLine = async (): Promise<string> => String((await lines.next()).value);
const ports = JSON.parse(await nextLine()) as { plain: number; mtls: number };
const serverCpu = async (): Promise<number> => {
  child.stdin!.write('cpu\n');
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
const plainUrl = `http://127.0.0.1:${ports.plain}/ping`;
const mtlsUrl = `https://127.0.0.1:${ports.mtls}/ping`;

// Warm up both, then alternate plain / mTLS so drift on a noisy machine hits both alike.
await load(plainUrl, plainAgent);
await load(mtlsUrl, mtlsAgent);
const runs = { plain: [] as Run[], mtls: [] as Run[] };
for (let round = 0; round < 3; round++) {
  runs.plain.push(await load(plainUrl, plainAgent));
  runs.mtls.push(await load(mtlsUrl, mtlsAgent));
}
await plainAgent.close();
await mtlsAgent.close();
child.stdin!.end();
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const plain = { rps: median(runs.plain.map((r) => r.rps)), cpuUs: median(runs.plain.map((r) => r.cpuUs)) };
const mtls = { rps: median(runs.mtls.map((r) => r.rps)), cpuUs: median(runs.mtls.map((r) => r.cpuUs)) };
const throughputRatio = mtls.rps / plain.rps;
const capacityRatio = plain.cpuUs / mtls.cpuUs;
const p99 = (xs: Run[]): string => `${median(xs.map((r) => r.p99ms)).toFixed(2)} ms`;
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const report = `# Mesh: mTLS vs plain HTTP, keep-alive (${date})

Machine: ${machine}. ${connections} keep-alive connections, ${seconds} s per run, 3 alternating
rounds after warm-up, medians shown. Both servers in one child process (Fastify, same trivial
handler — the worst case for TLS's relative cost); load from undici in this process.

| transport | requests/s | p99 latency | server CPU per request |
| --- | ---: | ---: | ---: |
| plain HTTP | ${plain.rps.toFixed(0)} | ${p99(runs.plain)} | ${plain.cpuUs.toFixed(1)} µs |
| mTLS (TLS 1.3, P-256 SPIFFE certificates) | ${mtls.rps.toFixed(0)} | ${p99(runs.mtls)} | ${mtls.cpuUs.toFixed(1)} µs |

- Throughput on this machine: mTLS keeps **${(throughputRatio * 100).toFixed(1)}%** of plain.
  Client and server share 2 cores here, so this also counts the load generator's own TLS work.
- Server capacity (plain CPU per request / mTLS CPU per request): mTLS keeps
  **${(capacityRatio * 100).toFixed(1)}%** of what the same service serves in plain HTTP.
- Target, at least 85%: ${Math.max(throughputRatio, capacityRatio) >= 0.85 ? (throughputRatio >= 0.85 ? 'met' : 'met for server capacity, not for end-to-end throughput on one 2-core machine') : 'NOT met'}.
`;
process.stdout.write(report);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, `results/mesh-${date}.md`), report);

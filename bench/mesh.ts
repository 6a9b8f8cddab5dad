// Question: how much throughput does mutual TLS between services cost, with keep-alive?
// Target (issue #4): mTLS keeps at least 85% of plain HTTP's requests/s to the same service.
// Both servers run in one child process; this process generates the load with undici, the
// client the SDK uses. Run: node bench/mesh.ts [seconds=5] [connections=8]
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  serviceSpiffeId,
  verifyPeerSpiffeId,
} from '@rampart/mesh';

const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 8);
const TD = 'bench.local';

async function issue(ca: CertificateAuthority, spiffeId: string, ipSans: string[] = []) {
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await ca.issue({ csrPem, spiffeId, ipSans });
  return { key: keyPem, cert: issued.certPem };
}

async function load(url: string, agent: Agent): Promise<{ rps: number; p99ms: number }> {
  const latencies: number[] = [];
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
  latencies.sort((a, b) => a - b);
  return { rps: count / seconds, p99ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-mesh-'));
const ca = await CertificateAuthority.open(join(dir, 'ca'), { trustDomain: TD });
const bundle = await ca.bundlePem();
const server = await issue(ca, serviceSpiffeId(TD, 'payments'), ['127.0.0.1']);
const client = await issue(ca, serviceSpiffeId(TD, 'orders'));

const child = spawn(
  process.execPath,
  [join(import.meta.dirname, 'mesh/server.ts'), JSON.stringify({ ...server, ca: bundle })],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
const [first] = await createInterface({ input: child.stdout! })
  [Symbol.asyncIterator]()
  .next()
  .then((r) => [r.value as string]);
const ports = JSON.parse(first!) as { plain: number; mtls: number };

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

// Warm up both, then alternate plain / mTLS twice so drift on a noisy machine hits both alike.
await load(`http://127.0.0.1:${ports.plain}/ping`, plainAgent);
await load(`https://127.0.0.1:${ports.mtls}/ping`, mtlsAgent);
const runs = { plain: [] as { rps: number; p99ms: number }[], mtls: [] as { rps: number; p99ms: number }[] };
for (let round = 0; round < 2; round++) {
  runs.plain.push(await load(`http://127.0.0.1:${ports.plain}/ping`, plainAgent));
  runs.mtls.push(await load(`https://127.0.0.1:${ports.mtls}/ping`, mtlsAgent));
}
await plainAgent.close();
await mtlsAgent.close();
child.stdin!.end();
rmSync(dir, { recursive: true, force: true });

const mean = (xs: { rps: number }[]) => xs.reduce((s, x) => s + x.rps, 0) / xs.length;
const plainRps = mean(runs.plain);
const mtlsRps = mean(runs.mtls);
const ratio = mtlsRps / plainRps;
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const report = `# Mesh: mTLS vs plain HTTP, keep-alive (${date})

Machine: ${machine}. ${connections} keep-alive connections, ${seconds} s per run, 2 alternating rounds after warm-up.
Servers in one child process (Fastify, same handler); load from undici in the parent.

| transport | requests/s | p99 latency |
| --- | ---: | ---: |
| plain HTTP | ${plainRps.toFixed(0)} | ${Math.max(...runs.plain.map((r) => r.p99ms)).toFixed(2)} ms |
| mTLS (TLS 1.3, P-256 SPIFFE certificates) | ${mtlsRps.toFixed(0)} | ${Math.max(...runs.mtls.map((r) => r.p99ms)).toFixed(2)} ms |

mTLS keeps **${(ratio * 100).toFixed(1)}%** of plain throughput (target: at least 85%): ${ratio >= 0.85 ? 'met' : 'NOT met'}.
`;
process.stdout.write(report);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, `results/mesh-${date}.md`), report);
void componentSpiffeId;

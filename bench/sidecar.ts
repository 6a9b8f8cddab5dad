// Question: what does the sidecar's extra hop cost, against calling an SDK service directly?
// The shop runs under a real `rampart up` (every component its own process, as in production on
// one machine). Three ways to get a small JSON answer, with keep-alive, measured in one run:
//   1. sdk:      orders (TypeScript, @rampart/sdk) GET /orders over mTLS with an internal token;
//   2. direct:   stock (Java) GET /stock/{sku} over plain loopback HTTP, skipping its sidecar;
//   3. sidecar:  the same through stock's sidecar: mTLS, caller and token checks, then the hop to Java.
// The sidecar's cost is (3) against (2); (3) against (1) is what a team trades by not rewriting a
// service on the SDK. Load from undici in this process; alternating rounds after a warm-up, medians.
// Run: node bench/sidecar.ts [seconds=3] [connections=8]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { componentSpiffeId, serviceSpiffeId, verifyPeerSpiffeId } from '@rampart/mesh';
import { startShop, SHOP_TRUST_DOMAIN } from '@rampart/testing';

const seconds = Number(process.argv[2] ?? 3);
const connections = Number(process.argv[3] ?? 8);

interface Run {
  readonly rps: number;
  readonly p50ms: number;
  readonly p99ms: number;
}

/** RAMPART_SIDECAR_SECRET of the process serving `port` (the bench's user may read it: same user, or root). */
function sidecarSecret(port: number): string {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (environ.includes(`PORT=${port}`)) {
        const line = environ.find((entry) => entry.startsWith('RAMPART_SIDECAR_SECRET='));
        if (line !== undefined) return line.slice('RAMPART_SIDECAR_SECRET='.length);
      }
    } catch {
      // Another process's environment, or gone: not ours.
    }
  }
  throw new Error(`no process on port ${port}`);
}

async function load(url: string, agent: Agent, headers: Record<string, string>): Promise<Run> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const start = performance.now();
        const res = await request(url, { dispatcher: agent, headers });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}`);
        latencies.push(performance.now() - start);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.floor(latencies.length * q)] ?? 0;
  return { rps: latencies.length / seconds, p50ms: at(0.5), p99ms: at(0.99) };
}

const shop = await startShop();
try {
  const gatewayCert = await shop.credentials(componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway'));
  const reviewsCert = await shop.credentials(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'reviews'));
  const meshAgent = (cert: { key: string; cert: string }, server: string): Agent =>
    new Agent({
      connections,
      connect: {
        ca: shop.bundle(),
        cert: cert.cert,
        key: cert.key,
        checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(SHOP_TRUST_DOMAIN, server)),
      },
    });
  const stock = shop.sidecars.stock;
  // Internal tokens live at most 5 minutes: long enough for this run; the verifier caches them, as for real callers.
  const ordersToken = await shop.token({ sub: 'alice', aud: 'orders', scope: 'orders:read' }, 240);
  const stockToken = await shop.token({ sub: 'alice', aud: 'stock', act: { sub: 'reviews' } }, 240);
  const ways = {
    sdk: {
      url: `https://127.0.0.1:${shop.ports.orders}/orders`,
      agent: meshAgent(gatewayCert, 'orders'),
      headers: { authorization: `Bearer ${ordersToken}` },
    },
    direct: {
      url: `http://127.0.0.1:${stock.upstream}/stock/TEA-GREEN`,
      agent: new Agent({ connections }),
      headers: { 'x-rampart-sidecar': sidecarSecret(stock.upstream) },
    },
    sidecar: {
      url: `https://127.0.0.1:${stock.port}/stock/TEA-GREEN`,
      agent: meshAgent(reviewsCert, 'stock'),
      headers: { authorization: `Bearer ${stockToken}` },
    },
  };
  const names = Object.keys(ways) as (keyof typeof ways)[];
  for (const name of names) await load(ways[name].url, ways[name].agent, ways[name].headers);
  const runs: Record<string, Run[]> = { sdk: [], direct: [], sidecar: [] };
  for (let round = 0; round < 3; round++) {
    for (const name of names)
      runs[name]?.push(await load(ways[name].url, ways[name].agent, ways[name].headers));
  }
  for (const way of Object.values(ways)) await way.agent.close();

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const summary = Object.fromEntries(
    names.map((name) => {
      const xs = runs[name] ?? [];
      return [
        name,
        {
          rps: median(xs.map((r) => r.rps)),
          p50: median(xs.map((r) => r.p50ms)),
          p99: median(xs.map((r) => r.p99ms)),
        },
      ];
    }),
  ) as Record<keyof typeof ways, { rps: number; p50: number; p99: number }>;
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
  const date = new Date().toISOString().slice(0, 10);
  const row = (label: string, s: { rps: number; p50: number; p99: number }): string =>
    `| ${label} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(2)} ms | ${s.p99.toFixed(2)} ms |`;
  const report = `# Sidecar: the extra hop, against an SDK service (${date})

Machine: ${machine}. The shop under a real \`rampart up\` (every component a process of its own,
as root: each its own user). ${connections} keep-alive connections, ${seconds} s per run, 3 rounds
alternating the three ways after a warm-up, medians. Load from undici in this process, which shares
the 2 cores with every component. Run: \`node bench/sidecar.ts ${seconds} ${connections}\`.

| way | req/s | p50 | p99 |
| --- | ---: | ---: | ---: |
${row('sdk: orders (TypeScript, @rampart/sdk), GET /orders, mTLS + token', summary.sdk)}
${row('direct: stock (Java), plain loopback HTTP, no sidecar', summary.direct)}
${row('sidecar: stock through its sidecar, mTLS + token, then Java', summary.sidecar)}

Added by the sidecar (sidecar against direct): **+${(summary.sidecar.p50 - summary.direct.p50).toFixed(2)} ms** at p50,
throughput ${((summary.sidecar.rps / summary.direct.rps) * 100).toFixed(0)}% of direct. Sidecar against the SDK service:
throughput ${((summary.sidecar.rps / summary.sdk.rps) * 100).toFixed(0)}%, p50 ${(summary.sidecar.p50 / summary.sdk.p50).toFixed(2)}×.
`;
  const file = join(import.meta.dirname, 'results', `sidecar-${date}.md`);
  writeFileSync(file, report);
  process.stdout.write(`${report}\nwritten to ${file}\n`);
} finally {
  await shop.stop();
}

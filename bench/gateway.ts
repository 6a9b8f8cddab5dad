// Question: what does the gateway's full pipeline cost per request?
// The shop runs under the real CLI (`rampart up` on a copy of examples/shop/rampart.yaml, free
// ports). This process generates the load with undici and alternates, after a warm-up, between
//   direct:  GET /orders straight to the orders service over mTLS, as the gateway would call it
//            (a gateway workload certificate from a copy of the running mesh CA, an internal token
//            signed with .rampart/keys/internal-token.key.pem);
//   gateway: GET /orders through https://127.0.0.1:<gateway> with a bearer at+jwt (ES256, from a
//            JWKS this process serves), i.e. canonicalize → route → authenticate → rate-limit →
//            read-body → validate → authorize → forward (mint an internal token, mTLS to orders).
// Besides requests/s and latency it reads each component's CPU time from /proc/<pid>/stat, so the
// gateway's CPU per request is measured in the gateway process itself, whatever the client costs.
// Run: node bench/gateway.ts [seconds=5] [connections=8]
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { Agent, request } from 'undici';
import { loadConfig } from '@rampart/config';
import { componentSpiffeId, serviceSpiffeId, verifyPeerSpiffeId } from '@rampart/mesh';
import { childPids, freePorts, startShop, SHOP_TRUST_DOMAIN } from '@rampart/testing';

const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 8);
const ROUNDS = 3;
/** Orders alice has, so GET /orders answers a typical list (as bench/mesh.ts: 20 rows as JSON). */
const ORDERS = 20;
/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of utime and stime in /proc. */
const CLK_TCK = 100;

// --- An issuer of access tokens: one ES256 key published at /jwks (as test/e2e/gateway.test.ts).
const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
const [issuerPort] = await freePorts(1);
const jwks = createServer((req, res) => {
  res.writeHead(req.url === '/jwks' ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ keys: [jwk] }));
});
await new Promise<void>((resolve) => jwks.listen(issuerPort, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${issuerPort ?? 0}`;

// --- The shop under `rampart up`. GET /orders must reach the orders service on every request:
// no response cache (the shop's `cache: { ttl: 5s }` is dropped here), and the default rate limits
// it has (the shop sets no limit of its own on it) raised out of reach — counted on every request
// as in production, never refusing one — so what is measured is the whole pipeline, forwarding included.
const UNREACHABLE = '{ points: 1000000000, window: 1m }';
const shop = await startShop({
  edit: (yaml) =>
    yaml
      .replace(/^identity:\n/m, `identity:\n  issuer: ${issuer}\n  dangerouslyAllowHttpIssuer: true\n`)
      .replace(
        /^policies:\n/m,
        `gateway:\n  defaultRateLimit: { principal: ${UNREACHABLE}, ip: ${UNREACHABLE} }\n\npolicies:\n`,
      )
      .replace(/(path: \/orders\n\s+policy: read-orders\n)\s+cache: .*\n/, '$1'),
});
const loaded = await loadConfig(join(shop.dir, 'rampart.yaml'));
if (!loaded.ok) throw new Error('the edited rampart.yaml does not load');
const listOrders = loaded.config.services['orders']?.routes?.find(
  (r) => r.method === 'GET' && r.path === '/orders',
);
const defaults = loaded.config.gateway?.defaultRateLimit;
if (
  listOrders === undefined ||
  listOrders.rateLimit !== undefined ||
  listOrders.cache !== undefined ||
  defaults === undefined ||
  defaults === 'off'
)
  throw new Error('GET /orders must exist with the default rate limits (raised) and no cache');

/** The gateway and orders processes: children of `rampart up`, told apart by their entry. */
function componentPid(entry: RegExp): number {
  const pid = childPids(shop.up.child.pid ?? 0).find((p) =>
    entry.test(readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ')),
  );
  if (pid === undefined) throw new Error(`no component matching ${entry} under rampart up`);
  return pid;
}
const pids = {
  gateway: componentPid(/services\/gateway\/src\/main\.ts/),
  orders: componentPid(/services\/orders\/main\.ts/),
  supervisor: shop.up.child.pid ?? 0,
};
type Component = keyof typeof pids;

/** CPU time (user + system) a process has used so far, in µs. */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLK_TCK;
}
const cpuNow = (): Record<Component, number> => ({
  gateway: cpuUs(pids.gateway),
  orders: cpuUs(pids.orders),
  supervisor: cpuUs(pids.supervisor),
});

// --- Clients. Direct: as the gateway, over mTLS to orders. Gateway: as a browser or CLI would.
const gatewayCredentials = await shop.credentials(componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway'));
const directAgent = new Agent({
  connections,
  connect: {
    ca: shop.bundle(),
    cert: gatewayCredentials.cert,
    key: gatewayCredentials.key,
    checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'orders')),
  },
});
const edgeAgent = new Agent({
  connections,
  connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') },
});
const directUrl = `https://127.0.0.1:${shop.ports.orders}/orders`;
const gatewayUrl = `https://127.0.0.1:${shop.ports.gateway}/orders`;

/** An access token for alice, as identity would issue it; reused like a real client's. */
const accessToken = (): Promise<string> =>
  new SignJWT({ client_id: 'shop-cli', scope: 'orders:read' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(`https://127.0.0.1:${shop.ports.gateway}`)
    .setSubject('alice')
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime('10m')
    .sign(privateKey);
/** An internal token, as the gateway mints it (it too reuses one per principal and service). */
const internalToken = (scope: string): Promise<string> =>
  shop.token({ sub: 'alice', aud: 'orders', scope }, 120);

async function call(
  url: string,
  agent: Agent,
  token: string,
  init: { method: 'GET' | 'POST'; body?: unknown } = { method: 'GET' },
): Promise<{ status: number; text: string }> {
  const res = await request(url, {
    dispatcher: agent,
    method: init.method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

// Seed alice's orders straight at the service (the gateway's POST /orders is rate-limited).
const writer = await internalToken('orders:write');
for (let i = 0; i < ORDERS; i++) {
  const created = await call(directUrl, directAgent, writer, {
    method: 'POST',
    body: {
      items: [
        { sku: 'TEA-GREEN', quantity: 1 + (i % 3) },
        { sku: 'MUG-1', quantity: 1 },
      ],
    },
  });
  if (created.status !== 201) throw new Error(`seeding: HTTP ${created.status} ${created.text}`);
}
// Both paths must answer the same thing before their costs are compared.
const viaDirect = await call(directUrl, directAgent, await internalToken('orders:read'));
const viaGateway = await call(gatewayUrl, edgeAgent, await accessToken());
if (viaDirect.status !== 200 || viaGateway.status !== 200 || viaDirect.text !== viaGateway.text)
  throw new Error(`direct and gateway answers differ: ${viaDirect.status} / ${viaGateway.status}`);
const bodyBytes = Buffer.byteLength(viaDirect.text);

interface Run {
  readonly rps: number;
  readonly p50ms: number;
  readonly p99ms: number;
  /** CPU time per request in each process, µs. */
  readonly cpuUs: Record<Component, number>;
}

async function load(url: string, agent: Agent, token: string): Promise<Run> {
  const latencies: number[] = [];
  const before = cpuNow();
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const start = performance.now();
        const res = await request(url, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}`);
        latencies.push(performance.now() - start);
        count += 1;
      }
    }),
  );
  const after = cpuNow();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.floor(latencies.length * q)] ?? 0;
  const perRequest = (c: Component): number => (after[c] - before[c]) / count;
  return {
    rps: count / seconds,
    p50ms: at(0.5),
    p99ms: at(0.99),
    cpuUs: {
      gateway: perRequest('gateway'),
      orders: perRequest('orders'),
      supervisor: perRequest('supervisor'),
    },
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
interface Summary {
  readonly rps: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly cpuUs: Record<Component, number>;
}
const summary = (xs: Run[]): Summary => ({
  rps: median(xs.map((r) => r.rps)),
  p50ms: median(xs.map((r) => r.p50ms)),
  p99ms: median(xs.map((r) => r.p99ms)),
  cpuUs: {
    gateway: median(xs.map((r) => r.cpuUs.gateway)),
    orders: median(xs.map((r) => r.cpuUs.orders)),
    supervisor: median(xs.map((r) => r.cpuUs.supervisor)),
  },
});

const runs = { direct: [] as Run[], gateway: [] as Run[] };
let direct: Summary;
let gateway: Summary;
try {
  // Tokens live for minutes; a fresh pair per round keeps a longer run valid.
  const tokens = async () => ({ direct: await internalToken('orders:read'), gateway: await accessToken() });
  // Warm up both, then alternate so drift on a noisy machine hits both alike.
  let t = await tokens();
  await load(directUrl, directAgent, t.direct);
  await load(gatewayUrl, edgeAgent, t.gateway);
  for (let round = 0; round < ROUNDS; round++) {
    t = await tokens();
    runs.direct.push(await load(directUrl, directAgent, t.direct));
    runs.gateway.push(await load(gatewayUrl, edgeAgent, t.gateway));
  }
  direct = summary(runs.direct);
  gateway = summary(runs.gateway);
} finally {
  await directAgent.close();
  await edgeAgent.close();
  await shop.stop();
  await new Promise<void>((resolve) => {
    jwks.close(() => {
      resolve();
    });
  });
}

const busy = (s: Summary, c: Component): number => (s.rps * s.cpuUs[c]) / 1_000_000;
const total = (s: Summary): number => s.cpuUs.gateway + s.cpuUs.orders + s.cpuUs.supervisor;
const figures = {
  seconds,
  connections,
  rounds: ROUNDS,
  responseBytes: bodyBytes,
  direct,
  gateway,
  throughputRatio: gateway.rps / direct.rps,
  addedP50ms: gateway.p50ms - direct.p50ms,
  addedP99ms: gateway.p99ms - direct.p99ms,
  addedGatewayCpuUs: gateway.cpuUs.gateway - direct.cpuUs.gateway,
  addedPlatformCpuUs: total(gateway) - total(direct),
  /** Share of one core the orders process used: near 100%, it (not the gateway) caps req/s. */
  ordersCoreUse: { direct: busy(direct, 'orders'), gateway: busy(gateway, 'orders') },
  gatewayCoreUse: busy(gateway, 'gateway'),
};

const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
const us = (x: number): string => `${x.toFixed(1)} µs`;
const ms = (x: number): string => `${x.toFixed(2)} ms`;
const row = (name: string, s: Summary): string =>
  `| ${name} | ${s.rps.toFixed(0)} | ${ms(s.p50ms)} | ${ms(s.p99ms)} | ${us(s.cpuUs.gateway)} | ` +
  `${us(s.cpuUs.orders)} | ${us(s.cpuUs.supervisor)} | ${us(total(s))} |`;
const report = `# Gateway: full pipeline vs calling the service directly (${date})

Machine: ${machine}. The shop under \`rampart up\` (embedded SQL), ${connections} keep-alive
connections, ${seconds} s per run, ${ROUNDS} alternating rounds after warm-up, medians. Load from
undici in the bench process, on the same machine. \`GET /orders\` for a user with ${ORDERS} orders
(${bodyBytes} bytes of JSON); the default rate limits counted (raised out of reach), no cache on the route.

- **direct**: to the orders service over mTLS, as the gateway (its workload certificate from a
  copy of the mesh CA, an internal token).
- **gateway**: to \`https://127.0.0.1:<gateway>/orders\` with a bearer at+jwt (ES256, one token
  reused, as a client does), through every stage: canonicalize, route, authenticate, rate-limit,
  read-body, validate, authorize, forward (internal token, mTLS to orders).

CPU per request is read from \`/proc/<pid>/stat\` (utime + stime, ${CLK_TCK} ticks/s) of each
process: the gateway, the orders service, and the \`rampart up\` supervisor (which writes the
components' log lines to .rampart/logs).

| path | req/s | p50 | p99 | gateway CPU/req | orders CPU/req | supervisor CPU/req | platform CPU/req |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${row('direct (mTLS to orders)', direct)}
${row('gateway (at+jwt, full pipeline)', gateway)}

- Throughput through the gateway: **${(figures.throughputRatio * 100).toFixed(1)}%** of direct
  (ratio ${figures.throughputRatio.toFixed(3)}).
- Added latency: **${ms(figures.addedP50ms)}** at p50, **${ms(figures.addedP99ms)}** at p99
  (at ${connections} concurrent requests).
- Added CPU: **${us(figures.addedGatewayCpuUs)}** per request in the gateway process,
  **${us(figures.addedPlatformCpuUs)}** across the platform (gateway + orders + supervisor).

- Cores busy: the orders process ${pct(figures.ordersCoreUse.direct)} of a core direct and
  ${pct(figures.ordersCoreUse.gateway)} through the gateway; the gateway process
  ${pct(figures.gatewayCoreUse)}. A Node process uses one core for its JavaScript, so a figure
  near 100% marks the stage that caps requests/s: then the throughput ratio measures that stage,
  and at a fixed concurrency the latency follows (p50 ≈ connections / req/s).

Requests/s on a machine with few cores also carries the load generator's own TLS work and the
gateway competing with the orders service for the same cores; the CPU per request in the gateway
process is the figure that does not depend on where the client runs.

\`\`\`json
${JSON.stringify({ date, machine, ...figures }, null, 2)}
\`\`\`
`;
process.stdout.write(report);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, `results/gateway-${date}.md`), report);

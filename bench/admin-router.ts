// Question (issue 12, item 3): what would moving identity's admin API onto Fastify change on the
// request path? Identity routes the admin API with its own template matcher (`matchRoute` in
// services/identity/src/admin/route.ts, a linear scan of the 24 operations) behind a bare
// node:http handler; Fastify routes with find-my-way (a radix tree).
//
// How, on the real operation table (`adminRoutes`) and one request per operation (path
// parameters filled in) plus an unknown path and a known path with another method:
// 1. lookups alone: `matchRoute` against find-my-way's `find` built from the same templates,
//    `rounds` rounds of `iterations` passes over the requests, alternating; ns per lookup.
// 2. one request over loopback HTTP/1.1 (keep-alive, `connections` at once, `requests` each
//    round): node:http + `matchRoute` against Fastify 5 with the same routes, both answering the
//    admin API's 401 JSON (what a request without a token gets: no token check, no store);
//    µs of wall time per request and requests/s. Both servers run in this process, one at a time.
// The two routers must agree on every request (found with the same parameters, or not), or the
// comparison stops.
// Run: node bench/admin-router.ts [--iterations 20000] [--rounds 5] [--requests 20000] [--connections 8] [--no-write]
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import FindMyWay from 'find-my-way';
import { Pool } from 'undici';
import { adminRoutes, matchRoute, type Method } from '@rampart/identity/testing';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '8' },
    'no-write': { type: 'boolean', default: false },
  },
});
const iterations = Number(values.iterations);
const rounds = Number(values.rounds);
const requestsPerRound = Number(values.requests);
const connections = Number(values.connections);

const PREFIX = '/auth/admin';
const REFUSAL = JSON.stringify({ error: 'invalid_token', error_description: 'A bearer token is required.' });

/** One request per operation, then an unknown path (404) and a known path with another method (405). */
const samples: readonly { readonly method: Method; readonly path: string }[] = [
  ...adminRoutes.map((route) => ({
    method: route.method,
    path: route.path.replaceAll(/\{([A-Za-z]+)\}/g, (_all, name: string) =>
      name === 'id' || name === 'userId' ? randomUUID() : `some-${name.toLowerCase()}`,
    ),
  })),
  { method: 'GET', path: '/no-such-thing' },
  { method: 'PUT', path: `/users/${randomUUID()}` },
];

const router = FindMyWay();
for (const route of adminRoutes) {
  router.on(route.method, route.path.replaceAll(/\{([A-Za-z]+)\}/g, ':$1'), () => undefined);
}

// Both routers must agree before anything is timed.
for (const { method, path } of samples) {
  const hand = matchRoute(adminRoutes, method, path);
  const tree = router.find(method, path);
  const handParams = hand.kind === 'found' ? hand.params : undefined;
  const treeParams = tree === null ? undefined : { ...tree.params };
  if (JSON.stringify(handParams) !== JSON.stringify(treeParams)) {
    throw new Error(`the routers disagree on ${method} ${path}`);
  }
}

let sink = 0;
const lookups = {
  hand: (): void => {
    for (const { method, path } of samples)
      if (matchRoute(adminRoutes, method, path).kind === 'found') sink++;
  },
  'find-my-way': (): void => {
    for (const { method, path } of samples) if (router.find(method, path) !== null) sink++;
  },
};

/** Nanoseconds per lookup over `iterations` passes. */
function measureLookups(pass: () => void): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) pass();
  return Number(process.hrtime.bigint() - started) / (iterations * samples.length);
}

const median = (list: readonly number[]): number =>
  [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? NaN;

const lookupNs: Record<keyof typeof lookups, number[]> = { hand: [], 'find-my-way': [] };
for (const name of ['hand', 'find-my-way'] as const) measureLookups(lookups[name]); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0
    ? (['hand', 'find-my-way'] as const)
    : (['find-my-way', 'hand'] as const)) {
    lookupNs[name].push(measureLookups(lookups[name]));
  }
}

/** node:http and the hand router, as identity serves the admin API today (less TLS and the token check). */
async function handServer(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const match = path.startsWith(`${PREFIX}/`)
      ? matchRoute(adminRoutes, req.method ?? '', path.slice(PREFIX.length))
      : { kind: 'not_found' as const };
    res.writeHead(match.kind === 'found' ? 401 : match.kind === 'not_found' ? 404 : 405, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(REFUSAL),
    });
    res.end(REFUSAL);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Fastify 5 with the same routes and the same answer. */
async function fastifyServer(): Promise<Server> {
  const app = Fastify({ logger: false });
  for (const route of adminRoutes) {
    app.route({
      method: route.method,
      url: `${PREFIX}${route.path.replaceAll(/\{([A-Za-z]+)\}/g, ':$1')}`,
      handler: async (_request, reply) =>
        reply
          .code(401)
          .header('cache-control', 'no-store')
          .type('application/json; charset=utf-8')
          .send(REFUSAL),
    });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}

/** Microseconds of wall time per request: `requestsPerRound` requests, `connections` at once. */
async function measureRequests(server: Server): Promise<number> {
  const { port } = server.address() as AddressInfo;
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requestsPerRound) {
      const sample = samples[next++ % samples.length];
      if (sample === undefined) return;
      const res = await pool.request({ method: sample.method, path: `${PREFIX}${sample.path}` });
      await res.body.dump();
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: connections }, worker));
  const us = Number(process.hrtime.bigint() - started) / 1e3 / requestsPerRound;
  await pool.close();
  return us;
}

const servers = {
  'node:http + hand router': await handServer(),
  'Fastify 5 (find-my-way)': await fastifyServer(),
};
type ServerName = keyof typeof servers;
const names = Object.keys(servers) as ServerName[];
const requestUs: Record<ServerName, number[]> = {
  'node:http + hand router': [],
  'Fastify 5 (find-my-way)': [],
};
for (const name of names) await measureRequests(servers[name]); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    requestUs[name].push(await measureRequests(servers[name]));
  }
}
await Promise.all(names.map((name) => new Promise((resolve) => servers[name].close(resolve))));

const figures = {
  lookupNs: { hand: median(lookupNs.hand), findMyWay: median(lookupNs['find-my-way']) },
  requestUs: Object.fromEntries(names.map((name) => [name, median(requestUs[name])])) as Record<
    ServerName,
    number
  >,
};
const hand = figures.requestUs['node:http + hand router'];
const fastify = figures.requestUs['Fastify 5 (find-my-way)'];
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const report = `# Identity's admin API: hand router against find-my-way and Fastify (${date})

Machine: ${machine}. ${adminRoutes.length} operations (the real table) and ${samples.length} requests: one per
operation, an unknown path and a known path with another method. Medians of ${rounds} rounds, alternating.

| lookup | ns per lookup |
| --- | ---: |
| hand \`matchRoute\` (linear scan) | ${figures.lookupNs.hand.toFixed(0)} |
| find-my-way \`find\` (Fastify's router) | ${figures.lookupNs.findMyWay.toFixed(0)} |
| ratio hand / find-my-way | ${(figures.lookupNs.hand / figures.lookupNs.findMyWay).toFixed(2)} |

| one request over loopback HTTP/1.1 (${connections} connections, ${requestsPerRound} requests a round) | µs per request | requests/s |
| --- | ---: | ---: |
| node:http + hand router | ${hand.toFixed(1)} | ${(1e6 / hand).toFixed(0)} |
| Fastify 5 (find-my-way) | ${fastify.toFixed(1)} | ${(1e6 / fastify).toFixed(0)} |
| ratio Fastify / hand | ${(fastify / hand).toFixed(2)} | |

\`\`\`json
${JSON.stringify({ machine, iterations, rounds, requestsPerRound, connections, figures, samples: { lookupNs, requestUs } }, null, 2)}
\`\`\`
`;
process.stdout.write(report);
if (sink < 0) process.stdout.write('unreachable\n');
if (!values['no-write']) {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `admin-router-${date}.md`), report);
}

// Question (the gateway issue): on the same upstream, in one run, what do the gateway with its full
// pipeline, the same gateway as a plain proxy, nginx as a plain proxy and HAProxy verifying JWTs
// achieve — requests/s, p50, p99, memory — with a realistic token mix and with a fresh token on
// every request? Targets: the full pipeline keeps ≥ 80% of the plain gateway's throughput, and at
// half of peak load adds < 2 ms at p99.
//
// How, and why:
// - Rampart runs for real: `rampart up` (startShop, as bench/gateway.ts) on the shop's
//   rampart.yaml with its policies and services replaced by one bench service
//   (gateway-compare/upstream/main.ts, on @rampart/sdk: mTLS, callers, internal token, access log)
//   whose handler does no I/O — the shop's GET /orders spends ~380 µs in its database and would
//   cap every proxy at the same figure. `gateway.workers: auto` is set when the config schema
//   accepts it (one worker per core); the report says which.
// - One upstream, reached the same way by all four: mTLS (TLS 1.3) with a certificate for the
//   gateway's SPIFFE ID from the running mesh CA and an internal token (PASETO) in Authorization.
//   The gateway mints one per principal; nginx and HAProxy send one pre-minted token, and are
//   started afresh for every run because the token lives at most 5 minutes
//   (MAX_TOKEN_LIFETIME_SECONDS) and the certificate 5 minutes.
// - Two gateway routes to the same handler: the full pipeline (at+jwt ES256 from an issuer this
//   process serves as JWKS, a rate limit never reached, scopes + a Cedar ownership rule
//   `resource.userId == principal.sub`, access log, mTLS upstream) and a `public` route (no token,
//   no limit, no Cedar). nginx proxies the public path; HAProxy checks the token (jwt_verify ES256
//   + alg/typ/iss/aud/exp rules) and forwards to the full path.
// - Token mixes (wrk Lua, gateway-compare/load.lua): realistic = `--users` (2000) users' tokens,
//   one picked at random per request, each reused many times as clients do; worst case = every
//   request a token never seen before, for a user never seen before, so no cache in the gateway
//   (verified tokens, Cedar decisions, internal tokens, the service's token cache) can help.
//   Fresh tokens are minted before each run, sized from the same proxy's realistic rate; a run
//   that runs out is repeated with more rather than reported.
// - Load: wrk 4.1 (HTTP/1.1 keep-alive over TLS), warm-up then measured run per target, rounds
//   alternating the proxies, medians. Half load: the plain gateway's median peak / 2, paced by
//   load.lua's delay() (wrk2 is not packaged), for every proxy at the same rate.
// - Memory: peak RSS of the proxy's processes during a run (the gateway process with its workers;
//   nginx master + workers; HAProxy). CPU: time per request in each process group from /proc, the
//   load generator's from bash `times`, and the whole machine's from /proc/stat — on a 2-core machine
//   the generator, the upstream and the supervisor compete with the proxy, and the proxy's own CPU
//   per request is the figure no neighbour distorts.
// - Every target is checked first (200 and the same body; the gateway and HAProxy refuse a
//   tampered, an expired and a wrongly addressed token); any non-2xx during a run fails the run.
//
// Run: node bench/gateway-compare.ts [seconds=10] [connections=32] [--rounds 3] [--warmup 2]
//        [--users 2000] [--threads <wrk threads, default cores/2>] [--no-write]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { MAX_TOKEN_LIFETIME_SECONDS } from '@rampart/sdk';
import { startIssuer } from './gateway-compare/issuer.ts';
import { fullPath, plainPath, startPlatform } from './gateway-compare/platform.ts';
import { HAPROXY, NGINX, startHaproxy, startNginx, type ProxyProcess } from './gateway-compare/proxies.ts';
import { renderReport } from './gateway-compare/report.ts';
import { ratios, summarize, type Summaries } from './gateway-compare/summary.ts';
import {
  HALF_LOAD_ORDER,
  TARGETS,
  THROUGHPUT_ORDER,
  type ProxyName,
  type Target,
  type TargetId,
} from './gateway-compare/targets.ts';
import { measure, WRK, type LoadSpec, type Measured } from './gateway-compare/wrk.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    users: { type: 'string', default: '2000' },
    threads: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});
const cores = availableParallelism();
const seconds = Number(positionals[0] ?? 10);
const connections = Number(positionals[1] ?? 32);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const users = Number(values.users);
const threads = Number(values.threads ?? Math.max(1, Math.floor(cores / 2)));
for (const [name, value] of Object.entries({ seconds, connections, rounds, warmup, users, threads }))
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
if (connections < threads) throw new TypeError('connections must be at least the number of wrk threads');
// nginx and HAProxy hold one internal token and one 5-minute certificate from their start on.
if (warmup + seconds + 60 > MAX_TOKEN_LIFETIME_SECONDS)
  throw new TypeError(
    `warm-up + seconds must stay under ${MAX_TOKEN_LIFETIME_SECONDS - 60} s (the internal token's lifetime)`,
  );

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const work = mkdtempSync(join(tmpdir(), 'rampart-bench-compare-'));
const issuer = await startIssuer(work);
say('starting rampart up (mesh, identity, the bench service, the gateway)…');
const platform = await startPlatform(issuer.url);
say(
  platform.workers === 'auto'
    ? `gateway.workers: auto (${cores} cores)`
    : 'gateway.workers: not accepted by this config schema yet — the gateway runs as one process',
);
const live = new Set<ProxyProcess>();
async function cleanUp(): Promise<void> {
  for (const proxy of live) await proxy.stop();
  await platform.stop();
  await issuer.close();
  rmSync(work, { recursive: true, force: true });
}
process.once('SIGINT', () => {
  say('\ninterrupted: stopping everything this benchmark started');
  void cleanUp().finally(() => process.exit(130));
});

const gatewayOrigin = `https://127.0.0.1:${platform.gatewayPort}`;
const subjects = Array.from({ length: users }, (_, i) => `u${String(i + 1).padStart(5, '0')}`);
const firstUser = subjects[0] ?? 'u00001';

/** Runs `body` against a proxy: the running gateway, or an nginx / HAProxy started for it alone. */
let starts = 0;
async function withProxy<T>(
  name: ProxyName,
  body: (origin: string, pids: () => number[]) => Promise<T>,
): Promise<T> {
  if (name === 'gateway') return body(gatewayOrigin, platform.gatewayPids);
  const dir = join(work, `${name}-${String(++starts)}`);
  mkdirSync(dir);
  const options = {
    dir,
    upstreamPort: platform.upstreamPort,
    cores,
    edge: platform.edge,
    mesh: await platform.meshClient(dir),
    internalToken: await platform.internalToken(),
  };
  const proxy =
    name === 'nginx'
      ? await startNginx(options)
      : await startHaproxy({
          ...options,
          issuer: issuer.url,
          audience: platform.audience,
          issuerKey: issuer.publicKeyFile,
        });
  live.add(proxy);
  try {
    return await body(`https://127.0.0.1:${proxy.port}`, () => proxy.pids());
  } finally {
    live.delete(proxy);
    await proxy.stop();
  }
}

// --- Tokens: the realistic mix, written once as "<subject> <token>" lines for load.lua.
const progress = (what: string, total: number) => (done: number) =>
  void process.stdout.write(`\r  minting ${what}: ${done}/${total}${done === total ? '\n' : ''}`);
const mixTokens = await issuer.tokens(subjects, platform.audience, progress(`${users} users' tokens`, users));
const mixFile = join(work, 'mix.tokens');
writeFileSync(mixFile, subjects.map((s, i) => `${s} ${mixTokens[i] ?? ''}\n`).join(''));

/** `count` tokens for users never seen before, split into one file per wrk thread. */
let freshBatches = 0;
async function freshTokens(count: number): Promise<string> {
  const batch = ++freshBatches;
  const fresh = Array.from({ length: count }, (_, i) => `f${batch}x${i}`);
  const tokens = await issuer.tokens(fresh, platform.audience, progress('fresh tokens', count));
  const prefix = join(work, `fresh-${batch}.tokens`);
  for (let t = 0; t < threads; t++) {
    const lines: string[] = [];
    for (let i = t; i < count; i += threads) lines.push(`${fresh[i] ?? ''} ${tokens[i] ?? ''}\n`);
    writeFileSync(`${prefix}.${t}`, lines.join(''));
  }
  return prefix;
}

// --- Every target answers 200 with the same body; the token checks really refuse.
async function get(origin: string, path: string, token?: string): Promise<{ status: number; body: string }> {
  const agent = new Agent({ connect: { ca: readFileSync(join(platform.shop.home, 'ca.pem'), 'utf8') } });
  try {
    const res = await request(`${origin}${path}`, {
      dispatcher: agent,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return { status: res.statusCode, body: await res.body.text() };
  } finally {
    await agent.close();
  }
}
const valid = mixTokens[0] ?? '';
const refusals = {
  tampered: `${valid.slice(0, -4)}${valid.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`,
  expired: await issuer.token(firstUser, platform.audience, { expiresIn: -120 }),
  'wrong audience': await issuer.token(firstUser, platform.audience, {
    audience: 'https://elsewhere.example',
  }),
};
let expectedBody = '';
async function checkTarget(target: Target, origin: string): Promise<void> {
  const answer =
    target.mode === 'plain'
      ? await get(origin, plainPath(firstUser))
      : await get(origin, fullPath(firstUser), valid);
  if (answer.status !== 200) throw new Error(`${target.label}: HTTP ${answer.status} ${answer.body}`);
  expectedBody ||= answer.body;
  if (answer.body !== expectedBody) throw new Error(`${target.label}: a different answer: ${answer.body}`);
  if (target.mode === 'plain') return;
  for (const [what, token] of Object.entries(refusals)) {
    const refused = await get(origin, fullPath(firstUser), token);
    if (refused.status !== 401)
      throw new Error(`${target.label} accepted a ${what} token (HTTP ${refused.status})`);
  }
}
for (const id of ['gateway-full-mix', 'gateway-plain', 'nginx', 'haproxy-mix'] as const) {
  const target = TARGETS[id];
  await withProxy(target.proxy, (origin) => checkTarget(target, origin));
}
const otherUsersToken = mixTokens[1] ?? '';
const cedar = await get(gatewayOrigin, fullPath(firstUser), otherUsersToken);
if (cedar.status !== 403) throw new Error(`the Cedar rule let another user through (HTTP ${cedar.status})`);
say(
  'checked: 200 and the same answer from all four; gateway and HAProxy refuse bad tokens; Cedar refuses another user',
);

// --- Runs.
async function run(target: Target, rate: number, expectedRps: number): Promise<Measured> {
  for (let attempt = 1; ; attempt++) {
    const supply = Math.ceil((rate > 0 ? rate : expectedRps) * seconds * 1.5 * attempt) + 1000;
    const source =
      target.mode === 'plain'
        ? plainPath(firstUser)
        : target.mode === 'mix'
          ? mixFile
          : await freshTokens(supply);
    const measured = await withProxy(target.proxy, async (origin, pids) => {
      const groups = {
        proxy: pids,
        upstream: platform.upstreamPids,
        supervisor: () => [platform.supervisorPid()],
      };
      const spec: LoadSpec = { origin, mode: target.mode, source, rate, threads, connections, seconds };
      const warm = await measure(
        {
          ...spec,
          mode: target.mode === 'fresh' ? 'mix' : target.mode,
          source: target.mode === 'fresh' ? mixFile : source,
          seconds: warmup,
        },
        groups,
      );
      if (warm.non2xx > 0)
        throw new Error(`${target.label}: ${warm.non2xx} non-2xx answers while warming up`);
      return measure(spec, groups);
    });
    if (target.mode === 'fresh') for (let t = 0; t < threads; t++) rmSync(`${source}.${t}`, { force: true });
    if (measured.non2xx > 0)
      throw new Error(
        `${target.label} (${target.mode}): ${measured.non2xx} of ${measured.requests} answers were not 2xx`,
      );
    if (measured.repeats === 0) return measured;
    if (attempt === 2) throw new Error(`${target.label}: ran out of fresh tokens twice`);
    say(`  ${target.label}: ${measured.repeats} requests reused a token (too few minted); again with more`);
  }
}

const line = (target: Target, m: Measured, extra = ''): string =>
  `  ${target.label.padEnd(26)} ${target.mode.padEnd(5)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50ms.toFixed(2)} ms  p99 ${m.p99ms.toFixed(2)} ms  ` +
  `${(m.proxyRssBytes / 2 ** 20).toFixed(0)} MiB  proxy ${m.cpuUs.proxy.toFixed(0)} µs/req  machine ${m.machineCores.toFixed(2)} cores${extra}`;

const peakRuns: Partial<Record<TargetId, Measured[]>> = {};
const halfRuns: Partial<Record<TargetId, Measured[]>> = {};
let halfRate = 0;
try {
  say(
    `peak throughput: ${connections} connections, ${threads} wrk thread(s), ${warmup} s warm-up + ${seconds} s, ${rounds} round(s)`,
  );
  for (let round = 1; round <= rounds; round++) {
    for (const id of THROUGHPUT_ORDER) {
      const target = TARGETS[id];
      const mixId = id === 'gateway-full-fresh' ? 'gateway-full-mix' : 'haproxy-mix';
      const measured = await run(target, 0, peakRuns[mixId]?.at(-1)?.rps ?? 1000);
      (peakRuns[id] ??= []).push(measured);
      say(line(target, measured));
    }
  }
  halfRate = Math.round(summarize(peakRuns['gateway-plain'] ?? []).rps / 2);
  say(`half load: ${halfRate} req/s (half of the plain gateway's median peak), paced by load.lua`);
  for (let round = 1; round <= rounds; round++) {
    for (const id of HALF_LOAD_ORDER) {
      const target = TARGETS[id];
      const measured = await run(target, halfRate, halfRate);
      (halfRuns[id] ??= []).push(measured);
      const short = measured.rps < halfRate * 0.95 ? `  (below the target rate: saturated)` : '';
      say(line(target, measured, short));
    }
  }
} finally {
  await cleanUp();
}

// --- Report.
const summaries = (runs: Partial<Record<TargetId, Measured[]>>): Summaries =>
  Object.fromEntries(Object.entries(runs).map(([id, list]) => [id, summarize(list)])) as Summaries;
const peak = summaries(peakRuns);
const half = summaries(halfRuns);
/** The first line a tool prints about its version (some print it on stderr, some exit non-zero). */
const versionOf = (command: string): string =>
  execFileSync('/bin/sh', ['-c', `${command} -v 2>&1 || true`], { encoding: 'utf8' })
    .split('\n')[0]
    ?.trim() ?? command;
const report = renderReport({
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cores} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  versions: {
    node: process.version,
    nginx: versionOf(NGINX),
    haproxy: versionOf(HAPROXY),
    wrk: versionOf(WRK),
  },
  workers: platform.workers,
  cores,
  seconds,
  warmup,
  rounds,
  connections,
  threads,
  users,
  halfRate,
  peak,
  half,
  ratios: ratios(peak, half),
});
process.stdout.write(`\n${report}`);
if (values['no-write'] !== true) {
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(
    join(import.meta.dirname, `results/gateway-compare-${new Date().toISOString().slice(0, 10)}.md`),
    report,
  );
}

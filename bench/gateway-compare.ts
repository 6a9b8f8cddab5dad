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
//   cap every proxy at the same figure. `gateway.workers: auto` (one worker per core; or the
//   count given with --gateway-workers) is set when the config schema accepts it; the report says which.
// - One upstream, reached the same way by all four: mTLS (TLS 1.3) with a certificate for the
//   gateway's SPIFFE ID from the running mesh CA and an internal token (PASETO) in Authorization.
//   The gateway mints one per principal; nginx and HAProxy send one pre-minted token, and are
//   started afresh for every run because the token lives at most 5 minutes
//   (MAX_TOKEN_LIFETIME_SECONDS) and the certificate 5 minutes.
// - Two gateway routes to the same handler: the full pipeline (at+jwt ES256 from an issuer this
//   process serves as JWKS, a rate limit never reached, scopes + a Cedar ownership rule
//   `resource.userId == principal.sub`, access log, mTLS upstream) and a `public` route (no token,
//   `rateLimit: off`, no Cedar). nginx proxies the public path; HAProxy checks the token (jwt_verify ES256
//   + alg/typ/iss/aud/exp rules) and forwards to the full path.
// - Token mixes (wrk Lua, gateway-compare/load.lua): realistic = `--users` (2000) users' tokens,
//   one picked at random per request, each reused as clients do. The gateway keeps per-worker
//   caches (verified tokens, Cedar decisions, internal tokens), so before anything is measured
//   every user's token goes through it 8 times in turn: the state of a gateway serving these users,
//   not a cold start. Worst case = every request a token never seen before, for a user never seen
//   before, so no cache (the service's token cache included) can help. Fresh tokens are minted
//   before each run, sized from the same proxy's realistic rate; a run that runs out is repeated
//   with more rather than reported. Fresh-token runs come after every realistic one: they evict
//   mix entries from the gateway's caches.
// - Load: wrk 4.1 (HTTP/1.1 keep-alive over TLS), warm-up then measured run per target, rounds
//   alternating the proxies, medians. Half load: the plain gateway's median peak / 2, paced by
//   load.lua's delay() (wrk2 is not packaged), for every proxy at the same rate.
// - Memory: peak RSS of the proxy's processes during a run (the gateway process with its workers;
//   nginx master + workers; HAProxy). CPU: time per request in each process group from /proc, the
//   load generator's from bash `times`, and the whole machine's from /proc/stat — on a 2-core machine
//   the generator, the upstream and the supervisor compete with the proxy. The proxy's own CPU per
//   request is the figure no neighbour distorts; it falls as the rate rises (more requests per
//   wake-up), so proxies are compared on it at one rate: the half-load runs.
// - wrk gets cores/2 threads (1 on 2 cores) by default, so the generator takes at most half the
//   machine; its CPU share is in the report.
// - nginx cannot verify a peer that has only a SPIFFE URI SAN (it checks DNS names/CN), so it runs
//   with proxy_ssl_verify off; HAProxy verifies the chain without a name. Both send a client
//   certificate, as the gateway does; neither checks the SPIFFE ID as the gateway does.
// - Every target is checked first (200 and the same body; the gateway and HAProxy refuse a
//   tampered, an expired and a wrongly addressed token); any non-2xx during a run fails the run.
//
// Run: node bench/gateway-compare.ts [seconds=10] [connections=32] [--rounds 3] [--warmup 2]
//        [--users 2000] [--threads <wrk threads, default cores/2>] [--gateway-workers auto|N] [--no-write]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_TOKEN_LIFETIME_SECONDS } from '@rampart/sdk';
import { startIssuer } from './gateway-compare/issuer.ts';
import { startPlatform } from './gateway-compare/platform.ts';
import { HAPROXY, NGINX, stopAllProxies } from './gateway-compare/proxies.ts';
import { renderReport } from './gateway-compare/report.ts';
import { benchmark, type Outcome } from './gateway-compare/runner.ts';
import { ratios, summarize, type Summaries } from './gateway-compare/summary.ts';
import type { TargetId } from './gateway-compare/targets.ts';
import { WRK, type Measured } from './gateway-compare/wrk.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    users: { type: 'string', default: '2000' },
    threads: { type: 'string' },
    'gateway-workers': { type: 'string', default: 'auto' },
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
const gatewayWorkers = values['gateway-workers'];
if (!/^(auto|[1-9][0-9]*)$/.test(gatewayWorkers))
  throw new TypeError('--gateway-workers is auto or a positive integer');
if (users < 2) throw new TypeError('users must be at least 2 (the Cedar check needs a second user)');
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
const platform = await startPlatform(issuer.url, gatewayWorkers);
say(
  platform.workers === 'unsupported'
    ? 'gateway.workers: not accepted by this config schema yet — the gateway runs as one process'
    : `gateway.workers: ${platform.workers} (${cores} cores)`,
);
async function cleanUp(): Promise<void> {
  await stopAllProxies();
  await platform.stop();
  await issuer.close();
  rmSync(work, { recursive: true, force: true });
}
process.once('SIGINT', () => {
  say('\ninterrupted: stopping everything this benchmark started');
  void cleanUp().finally(() => process.exit(130));
});

let outcome: Outcome;
try {
  outcome = await benchmark(
    platform,
    issuer,
    work,
    { cores, seconds, warmup, rounds, connections, threads, users },
    say,
  );
} finally {
  await cleanUp();
}

// --- Report.
const summaries = (runs: Partial<Record<TargetId, Measured[]>>): Summaries =>
  Object.fromEntries(Object.entries(runs).map(([id, list]) => [id, summarize(list)]));
const peak = summaries(outcome.peak);
const half = summaries(outcome.half);
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
    nginx: versionOf(NGINX).replace(/^nginx version: nginx\//, 'nginx '),
    haproxy: versionOf(HAPROXY).replace(/^HAProxy version (\S+).*$/, 'HAProxy $1'),
    wrk: versionOf(WRK).replace(/^wrk (\S+).*$/, 'wrk $1'),
  },
  workers: platform.workers,
  cores,
  seconds,
  warmup,
  rounds,
  connections,
  threads,
  users,
  primedUses: outcome.primedUses,
  halfRate: outcome.halfRate,
  peak,
  half,
  ratios: ratios(peak, half),
});
process.stdout.write(`\n${report}`);
if (!values['no-write']) {
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(
    join(import.meta.dirname, `results/gateway-compare-${new Date().toISOString().slice(0, 10)}.md`),
    report,
  );
}

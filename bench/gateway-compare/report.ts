// The markdown (with the figures as JSON) that bench/gateway-compare.ts prints and writes to
// bench/results/gateway-compare-<date>.md.
import type { Workers } from './platform.ts';
import type { Ratios, Summaries, Summary } from './summary.ts';
import { HALF_LOAD_TARGETS, mixName, PEAK_TARGETS, TARGETS, type TargetId } from './targets.ts';

export interface Figures {
  readonly date: string;
  readonly machine: string;
  readonly versions: Readonly<Record<'node' | 'nginx' | 'haproxy' | 'wrk', string>>;
  readonly workers: Workers;
  readonly cores: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly connections: number;
  readonly threads: number;
  readonly users: number;
  /** How many times each user's token went through the gateway before measuring (on average). */
  readonly primedUses: number;
  readonly halfRate: number;
  readonly peak: Summaries;
  readonly half: Summaries;
  readonly ratios: Ratios;
}

/** What the full run uses; anything shorter is a development run. */
const FULL_RUN = { seconds: 10, rounds: 3 };
const TARGET_RATIO = 0.8;
const TARGET_ADDED_P99_MS = 2;

const ms = (x: number): string => `${x.toFixed(2)} ms`;
const us = (x: number): string => `${x.toFixed(0)} µs`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const ratio = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');
const met = (ok: boolean): string => (ok ? 'met' : '**not met**');

function peakRow(id: TargetId, s: Summary): string {
  const t = TARGETS[id];
  return (
    `| ${t.label} | ${mixName(t.mode)} | ${s.rps.toFixed(0)} | ${ms(s.p50ms)} | ${ms(s.p99ms)} | ${mib(s.rssBytes)} | ` +
    `${us(s.cpuUs.proxy)} | ${(1_000_000 / s.cpuUs.proxy).toFixed(0)} | ${us(s.cpuUs.upstream)} | ${us(s.cpuUs.supervisor)} | ` +
    `${us(s.cpuUs.wrk)} | ${s.machineCores.toFixed(2)} |`
  );
}

function halfRow(id: TargetId, s: Summary, base: Summary | undefined, rate: number): string {
  const t = TARGETS[id];
  const added = base === undefined || id === 'gateway-plain' ? '—' : ms(s.p99ms - base.p99ms);
  const short = s.rps < rate * 0.95 ? ' (saturated)' : '';
  return (
    `| ${t.label} | ${mixName(t.mode)} | ${s.rps.toFixed(0)}${short} | ${ms(s.p50ms)} | ${ms(s.p90ms)} | ` +
    `${ms(s.p99ms)} | ${ms(s.p999ms)} | ${added} | ${us(s.cpuUs.proxy)} | ${us(s.cpuUs.upstream)} | ` +
    `${s.machineCores.toFixed(2)} |`
  );
}

/** Where the machine's CPU went during a peak run, as shares of everything busy. */
function shares(s: Summary): string {
  const total = s.cpuUs.machine;
  const pct = (x: number): string => `${((x / total) * 100).toFixed(0)}%`;
  const other = Math.max(0, total - s.cpuUs.proxy - s.cpuUs.upstream - s.cpuUs.supervisor - s.cpuUs.wrk);
  return (
    `proxy ${pct(s.cpuUs.proxy)}, upstream ${pct(s.cpuUs.upstream)}, supervisor ${pct(s.cpuUs.supervisor)}, ` +
    `wrk ${pct(s.cpuUs.wrk)}, anything else on the machine ${pct(other)}`
  );
}

export function renderReport(f: Figures): string {
  const development = f.seconds < FULL_RUN.seconds || f.rounds < FULL_RUN.rounds;
  const r = f.ratios;
  const full = f.peak['gateway-full-mix'];
  const nginxPeak = f.peak.nginx;
  const nginxHalf = f.half.nginx;
  const halfPlain = f.half['gateway-plain'];
  const halfFull = f.half['gateway-full-mix'];
  const halfFresh = f.half['gateway-full-fresh'];
  const peakRows = PEAK_TARGETS.flatMap((id) => {
    const s = f.peak[id];
    return s === undefined ? [] : [peakRow(id, s)];
  });
  const halfRows = HALF_LOAD_TARGETS.flatMap((id) => {
    const s = f.half[id];
    return s === undefined ? [] : [halfRow(id, s, f.half['gateway-plain'], f.halfRate)];
  });
  const saturated = PEAK_TARGETS.filter((id) => (f.peak[id]?.machineCores ?? 0) > f.cores * 0.9);
  const notMet = [
    r.fullMixOverPlain >= TARGET_RATIO
      ? undefined
      : `the full pipeline keeps ${(r.fullMixOverPlain * 100).toFixed(0)}% of the plain gateway's throughput with the realistic mix (target 80%)`,
    r.fullFreshOverPlain >= TARGET_RATIO
      ? undefined
      : `with a fresh token on every request it keeps ${(r.fullFreshOverPlain * 100).toFixed(0)}%`,
    r.halfLoadAddedP99msMix < TARGET_ADDED_P99_MS
      ? undefined
      : `at half load the full pipeline adds ${ms(r.halfLoadAddedP99msMix)} at p99 with the realistic mix (target < 2 ms)`,
    r.halfLoadAddedP99msFresh < TARGET_ADDED_P99_MS
      ? undefined
      : `and ${ms(r.halfLoadAddedP99msFresh)} with a fresh token on every request`,
    f.workers === 'unsupported'
      ? 'the gateway ran as one process: `gateway.workers` is not in the config schema yet'
      : undefined,
  ].filter((x): x is string => x !== undefined);

  return `# Gateway vs nginx vs HAProxy on one upstream (${f.date})
${
  development
    ? `
> **Development run** (${f.seconds} s per run, ${f.rounds} round(s), ${f.warmup} s warm-up) on a shared
> machine while other work ran: it shows the format, not figures to compare. The full run
> (\`node bench/gateway-compare.ts\`, ${FULL_RUN.seconds} s × ${FULL_RUN.rounds} rounds, on a quiet machine) replaces this file.
`
    : ''
}
Machine: ${f.machine}. Node ${f.versions.node}, ${f.versions.nginx}, ${f.versions.haproxy}, ${f.versions.wrk}.
Gateway: ${
    f.workers === 'unsupported'
      ? 'one process (`gateway.workers` not available in this checkout)'
      : f.workers === 'auto'
        ? `\`gateway.workers: auto\` (one worker thread per core: ${f.cores})`
        : `\`gateway.workers: ${f.workers}\``
  }; nginx \`worker_processes ${f.cores}\`; HAProxy \`nbthread ${f.cores}\`.

**Method.** One upstream for all four: a service on \`@rampart/sdk\` under \`rampart up\` (mTLS only,
callers by SPIFFE ID, internal token required, one access line per request) whose handler does no
I/O and answers ~200 bytes of JSON. Every proxy reaches it the same way — TLS 1.3 with a certificate
for the gateway's SPIFFE ID from the running mesh CA, keep-alive, an internal token (PASETO) in
\`Authorization\` — and every proxy writes one access-log line per request.

| target | what it does per request |
| --- | --- |
${(['gateway-full-mix', 'gateway-plain', 'nginx', 'haproxy-mix'] as const).map((id) => `| ${TARGETS[id].label} | ${TARGETS[id].checks} |`).join('\n')}

Token mixes: **realistic** — ${f.users} users' at+jwt tokens (ES256, 1 h), one picked at random per
request, each reused as clients do: before the first measurement every user's token went through
the gateway ~${f.primedUses.toFixed(1)} times in turn, so each worker's caches hold them as a gateway serving these users
would, and a measured run then uses each token ~${
    full === undefined ? '?' : ((full.rps * f.seconds) / f.users).toFixed(1)
  } times more; **fresh token per request** — every request a token never seen before for a user
never seen before, so no cache (verified tokens, Cedar decisions, internal tokens, the service's
token cache) can help. The fresh-token runs come after all realistic ones, since they evict mix
entries from those caches. Before measuring, each target answered 200 with the same body, and the
gateway and HAProxy refused a tampered, an expired and a wrongly addressed token (Cedar also refused
another user's token on the gateway). No run had a non-2xx answer.

Load: wrk (HTTP/1.1, keep-alive, TLS) with ${f.connections} connections and ${f.threads} thread(s) on the same
machine, ${f.warmup} s warm-up then ${f.seconds} s per run, ${f.rounds} round(s) alternating the targets, medians
(memory: the largest peak). nginx and HAProxy are started afresh for each run (their internal token
and certificate live 5 minutes). CPU per request is read from \`/proc\` for each group of processes
(the proxy; the upstream; the \`rampart up\` supervisor, which receives every component's log lines;
wrk, from bash \`times\`) and for the whole machine; memory is the peak RSS of the proxy's processes.

## Peak throughput

| proxy | tokens | req/s | p50 | p99 | memory | proxy CPU/req | req/s per proxy core | upstream CPU/req | supervisor CPU/req | wrk CPU/req | machine busy (cores) |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${peakRows.join('\n')}

## Ratios and targets

| figure | value | target | |
| --- | ---: | ---: | --- |
| full pipeline / plain gateway, req/s, realistic mix | ${ratio(r.fullMixOverPlain)} | ≥ 0.80 | ${met(r.fullMixOverPlain >= TARGET_RATIO)} |
| full pipeline / plain gateway, req/s, fresh token per request | ${ratio(r.fullFreshOverPlain)} | ≥ 0.80 | ${met(r.fullFreshOverPlain >= TARGET_RATIO)} |
| the same from the gateway's CPU per request at half load, realistic mix | ${ratio(r.cpuPlainOverFullMix)} | | |
| the same from the gateway's CPU per request at half load, fresh tokens | ${ratio(r.cpuPlainOverFullFresh)} | | |
| plain gateway / nginx, req/s | ${ratio(r.gatewayPlainOverNginx)} | | |
| full pipeline / HAProxy JWT, req/s, realistic mix | ${ratio(r.gatewayFullMixOverHaproxyMix)} | | |
| full pipeline / HAProxy JWT, req/s, fresh tokens | ${ratio(r.gatewayFullFreshOverHaproxyFresh)} | | |
| added p99 at half load, realistic mix | ${ms(r.halfLoadAddedP99msMix)} | < 2 ms | ${met(r.halfLoadAddedP99msMix < TARGET_ADDED_P99_MS)} |
| added p99 at half load, fresh tokens | ${ms(r.halfLoadAddedP99msFresh)} | < 2 ms | ${met(r.halfLoadAddedP99msFresh < TARGET_ADDED_P99_MS)} |

Kong's published figures, for scale: key-auth and a rate limit cost it 24% of its plain-proxy
throughput (a ratio of 0.76).

## At half load: ${f.halfRate} req/s

Half of the plain gateway's median peak, for every target at the same rate: wrk with load.lua's
\`delay()\` handing out send times one interval apart (wrk2 is not packaged), ${f.connections} connections, so
requests arrive at a steady rate instead of back to back. A target that cannot keep the rate is
marked saturated; its latency is then queueing, not the proxy's. With the machine near ${f.cores}.00 cores
busy, requests also wait for a core, whoever holds it.

| proxy | tokens | achieved req/s | p50 | p90 | p99 | p99.9 | p99 over the plain gateway | proxy CPU/req | upstream CPU/req | machine busy (cores) |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${halfRows.join('\n')}

## What sharing ${f.cores} cores does to these figures

Load generator, proxy, upstream and supervisor share the machine's ${f.cores} cores. ${
    saturated.length === 0
      ? 'No peak run kept the machine over 90% busy.'
      : saturated.length === PEAK_TARGETS.length
        ? 'Every peak run kept the machine over 90% busy'
        : `The peak runs of ${saturated.map((id) => `${TARGETS[id].label} (${mixName(TARGETS[id].mode)})`).join(', ')} kept the machine over 90% busy`
  }${
    saturated.length === 0
      ? ''
      : ", so their req/s is bounded by the sum of everyone's CPU per request, not by the proxy alone."
  } Where the CPU went (share of the machine's busy time per request):

${PEAK_TARGETS.flatMap((id) => {
  const s = f.peak[id];
  return s === undefined ? [] : [`- ${TARGETS[id].label}, ${mixName(TARGETS[id].mode)}: ${shares(s)}.`];
}).join('\n')}

So a req/s figure here understates every proxy by the share the others take, and most for the
cheapest proxies (their own share is smallest). The proxy's own CPU per request does not depend on
what its neighbours spend, but it does depend on the rate: the faster requests come, the more of
them share each wake-up and system call${
    nginxPeak !== undefined && nginxHalf !== undefined
      ? ` (nginx: ${us(nginxPeak.cpuUs.proxy)} per request at peak, ${us(nginxHalf.cpuUs.proxy)} at ${f.halfRate} req/s)`
      : ''
  }. Compare proxies' CPU per request at one rate — the half-load table, where every target
runs at the same rate — and read "req/s per proxy core" at peak as an upper bound for a proxy with
the machine to itself.
${
  halfPlain !== undefined && halfFull !== undefined && halfFresh !== undefined
    ? `At ${f.halfRate} req/s the pipeline adds ${us(halfFull.cpuUs.proxy - halfPlain.cpuUs.proxy)} of gateway CPU per request with the realistic mix and ${us(halfFresh.cpuUs.proxy - halfPlain.cpuUs.proxy)} with a fresh token per request; behind it the upstream spends ${us(halfFull.cpuUs.upstream - halfPlain.cpuUs.upstream)} (realistic) and ${us(halfFresh.cpuUs.upstream - halfPlain.cpuUs.upstream)} (fresh) more, verifying one internal token per user rather than the same one for everybody.`
    : ''
}

## Notes

- nginx and HAProxy check the upstream's certificate chain at most (nginx not even that: it can
  only verify DNS names or CNs, and the service's certificate has a SPIFFE URI SAN alone); the
  gateway also checks the SPIFFE ID. Once per upstream connection, which keep-alive makes rare.
- HAProxy checks less than the gateway: the signature with one configured key (no \`kid\`, no JWKS
  or rotation), alg, typ, iss, aud and exp — not nbf, iat, the presence of sub, jti and client_id,
  revocation or DPoP; it authorizes nothing (no scopes, no Cedar) and passes one fixed internal
  token, so the service never learns the user.
- The rate limit on the full route is counted on every request but never reached: this run does not
  show whether workers share one limit.
- wrk measures closed-loop at peak (a new request when an answer arrives) and corrects its
  histogram for coordinated omission only beyond the mean interval per connection; at half load
  the pacing has 1 ms granularity per wrk thread.
- Absolute figures move with the machine and its load; compare within this file.
${notMet.length === 0 ? '' : `\n**Not met:** ${notMet.join('; ')}.\n`}
\`\`\`json
${JSON.stringify(
  {
    date: f.date,
    machine: f.machine,
    versions: f.versions,
    development,
    workers: f.workers,
    seconds: f.seconds,
    warmup: f.warmup,
    rounds: f.rounds,
    connections: f.connections,
    wrkThreads: f.threads,
    users: f.users,
    primedUses: f.primedUses,
    halfRate: f.halfRate,
    peak: f.peak,
    half: f.half,
    ratios: f.ratios,
  },
  null,
  2,
)}
\`\`\`
`;
}

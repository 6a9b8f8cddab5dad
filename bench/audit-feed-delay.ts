/**
 * Question: how long after the gateway refuses a request does the refusal show on the console's
 * live feed? Issue 13's target: p99 < 2 s from a denial at the gateway to the feed.
 *
 * The shop runs under the real CLI (`rampart up`, embedded store): the gateway's worker threads
 * write each denial's `request.denied` event to their on-disk outbox, the shipper sends them in
 * batches over mTLS to the audit service, which appends them to the hash-chained ledger and wakes
 * the live feed. This process holds that feed open as the console does, over HTTP/2 (node:http2,
 * one session, ALPN h2 — as Chromium reaches the gateway): `GET /audit/v1/events/stream?event=request.denied`
 * through the gateway's `/audit` mount with an admin token (admin role, MFA; minted with identity's
 * own key (`adminAccess` of @rampart/identity/testing), standing in for the console's sign-in).
 *
 * Denials are `GET /orders` without a token (401), sent with undici over HTTP/1.1 keep-alive:
 *   steady: `--rate` per second for `--seconds`, open loop (each sent on its schedule, whatever the
 *           previous ones are doing);
 *   burst:  `--burst-concurrency` requests in flight, each sent as the previous one is answered,
 *           for `--burst-seconds`.
 * The steady phase outlasts the gateway's HTTP/2 request deadline (30 s) on purpose: the feed must
 * stay open past it (a bodiless GET is never cut; see the gateway's http2 regression test).
 * Each denial is matched to its event on the feed by the request id the gateway answered with
 * (`X-Request-Id`, which the event carries). Its delay is from the moment its 401 arrived here to
 * the moment its event arrived on the feed, both on this process's monotonic clock. After the load,
 * stragglers get `--grace` seconds; a denial whose event never came is lost.
 *
 * Run: node bench/audit-feed-delay.ts [--seconds 40] [--rate 50] [--burst-seconds 8]
 *        [--burst-concurrency 64] [--grace 10] [--no-write]
 * Writes bench/results/audit-feed-delay-<date>.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { startShop } from '@rampart/testing';
import { adminAccess } from '@rampart/identity/testing';
import { openFeed, type FeedReader } from './support/feed-reader.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '40' },
    rate: { type: 'string', default: '50' },
    'burst-seconds': { type: 'string', default: '8' },
    'burst-concurrency': { type: 'string', default: '64' },
    grace: { type: 'string', default: '10' },
    'no-write': { type: 'boolean', default: false },
  },
});
const positive = (name: keyof typeof args): number => {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value < 0)
    throw new TypeError(`--${name} must be a number ≥ 0, got ${String(args[name])}`);
  return value;
};
const seconds = positive('seconds');
const rate = positive('rate');
const burstSeconds = positive('burst-seconds');
const burstConcurrency = Math.max(1, Math.floor(positive('burst-concurrency')));
const graceSeconds = positive('grace');
const TARGET_P99_MS = 2_000;

type Phase = 'steady' | 'burst';

/** One denial: the request id the gateway answered with and when its answer arrived here. */
interface Denial {
  readonly phase: Phase;
  readonly requestId: string;
  readonly answeredAt: number;
}

interface Sent {
  readonly denials: Denial[];
  /** Answers that were not a 401 with a request id, or failed requests, by status or error. */
  readonly unexpected: Map<string, number>;
  /** Wall time of the phase, s. */
  elapsed: number;
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** What one run saw: the denials of each phase and the feed's arrivals. */
interface Observed {
  readonly phases: Record<Phase, Sent>;
  readonly arrivals: ReadonlyMap<string, number>;
  readonly duplicates: number;
  readonly alpn: string | undefined;
  /** How long the one feed stream was held open, s. */
  readonly feedOpenSeconds: number;
  /** Why the feed ended before the benchmark closed it, if it did. */
  readonly feedEnded: string | undefined;
}

say('starting rampart up (mesh, identity, audit, the shop, the gateway)…');
const shop = await startShop();
const origin = `https://127.0.0.1:${shop.ports.gateway}`;
const ca = readFileSync(join(shop.home, 'ca.pem'), 'utf8');
const agent = new Agent({ connections: burstConcurrency, connect: { ca } });
let observed: Observed;
try {
  observed = await measure();
} finally {
  await agent.close();
  await shop.stop();
}

async function measure(): Promise<Observed> {
  const admin = await adminAccess(shop);
  const openedAt = performance.now();
  const feed = await openFeed({
    origin,
    path: '/audit/v1/events/stream?event=request.denied&service=gateway',
    token: admin.token,
    ca,
  });
  try {
    say(`feed open (${feed.alpn ?? 'no ALPN'}); warming up…`);
    const warm: Sent = { denials: [], unexpected: new Map(), elapsed: 0 };
    for (let i = 0; i < 50; i++) await deny('steady', warm);
    await settle(feed, warm.denials, performance.now() + 10_000);
    const phases: Record<Phase, Sent> = {
      steady: { denials: [], unexpected: new Map(), elapsed: 0 },
      burst: { denials: [], unexpected: new Map(), elapsed: 0 },
    };
    say(`steady: ${rate}/s for ${seconds} s…`);
    await steady(phases.steady);
    say(`burst: ${burstConcurrency} in flight for ${burstSeconds} s…`);
    await burst(phases.burst);
    say(`waiting up to ${graceSeconds} s for the last events…`);
    await settle(
      feed,
      [...phases.steady.denials, ...phases.burst.denials],
      performance.now() + graceSeconds * 1000,
    );
    return {
      phases,
      arrivals: new Map(feed.arrivals),
      duplicates: feed.duplicates,
      alpn: feed.alpn,
      feedOpenSeconds: (performance.now() - openedAt) / 1000,
      feedEnded: feed.ended,
    };
  } finally {
    feed.close();
  }
}

/** One `GET /orders` without a token; a 401 with its request id is a denial of `phase`. */
async function deny(phase: Phase, into: Sent): Promise<void> {
  try {
    const res = await request(`${origin}/orders`, { dispatcher: agent });
    const answeredAt = performance.now();
    await res.body.dump();
    const requestId = res.headers['x-request-id'];
    if (res.statusCode === 401 && typeof requestId === 'string') {
      into.denials.push({ phase, requestId, answeredAt });
      return;
    }
    count(into.unexpected, `status ${res.statusCode}`);
  } catch (error) {
    count(into.unexpected, (error as Error).message);
  }
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Open loop: request i leaves at start + i/rate, whether or not the earlier ones were answered. */
async function steady(into: Sent): Promise<void> {
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(deny('steady', into));
  }
  await Promise.all(inFlight);
  into.elapsed = (performance.now() - start) / 1000;
}

/** Closed loop: `burstConcurrency` clients, each sending its next request when the last is answered. */
async function burst(into: Sent): Promise<void> {
  const start = performance.now();
  const end = start + burstSeconds * 1000;
  await Promise.all(
    Array.from({ length: burstConcurrency }, async () => {
      while (performance.now() < end) await deny('burst', into);
    }),
  );
  into.elapsed = (performance.now() - start) / 1000;
}

/** Waits until every denial's event is on the feed, or `deadline`. */
async function settle(reader: FeedReader, denials: readonly Denial[], deadline: number): Promise<void> {
  while (performance.now() < deadline && !denials.every((d) => reader.arrivals.has(d.requestId))) {
    if (reader.ended !== undefined) return;
    await sleep(50);
  }
}

// --- Figures.

interface Figures {
  readonly denials: number;
  readonly perSecond: number;
  readonly arrived: number;
  readonly lost: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly unexpected: Record<string, number>;
}

/** Nearest-rank percentile of ascending `sorted`. */
const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN);

function figuresOf(sent: readonly Sent[]): Figures {
  const denials = sent.flatMap((s) => s.denials);
  const delays: number[] = [];
  for (const denial of denials) {
    const at = observed.arrivals.get(denial.requestId);
    if (at !== undefined) delays.push(at - denial.answeredAt);
  }
  delays.sort((a, b) => a - b);
  const unexpected: Record<string, number> = {};
  for (const s of sent) for (const [what, n] of s.unexpected) unexpected[what] = (unexpected[what] ?? 0) + n;
  const elapsed = sent.reduce((sum, s) => sum + s.elapsed, 0);
  return {
    denials: denials.length,
    perSecond: denials.length / Math.max(elapsed, Number.EPSILON),
    arrived: delays.length,
    lost: denials.length - delays.length,
    p50Ms: percentile(delays, 50),
    p90Ms: percentile(delays, 90),
    p99Ms: percentile(delays, 99),
    maxMs: delays.at(-1) ?? Number.NaN,
    unexpected,
  };
}

const { phases, duplicates, alpn, feedOpenSeconds, feedEnded } = observed;
const figures = {
  steady: figuresOf([phases.steady]),
  burst: figuresOf([phases.burst]),
  all: figuresOf([phases.steady, phases.burst]),
};
const met = figures.all.lost === 0 && figures.all.p99Ms < TARGET_P99_MS;
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()}/${arch()}, Node ${process.version}`;
const load = loadavg()
  .map((n) => n.toFixed(1))
  .join(' ');
const date = new Date().toISOString().slice(0, 10);
const ms = (n: number): string => (Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const row = (what: string, f: Figures, showRate = true): string =>
  `| ${what} | ${f.denials.toLocaleString('en-US')} | ${showRate ? Math.round(f.perSecond).toLocaleString('en-US') : '–'} | ${ms(f.p50Ms)} | ${ms(f.p90Ms)} | ${ms(f.p99Ms)} | ${ms(f.maxMs)} | ${f.lost} |`;
const unexpectedText = Object.entries(figures.all.unexpected)
  .map(([what, n]) => `${n} × ${what}`)
  .join(', ');
const report = `# From a denial at the gateway to the live feed (${date})

Machine: ${machine}; load average at the end ${load} (the machine is shared: other work ran beside
this one). The shop under \`rampart up\` (embedded store); the feed held open over HTTP/2
(node:http2, ${alpn ?? 'no ALPN'}) through the gateway's \`/audit\` mount with an admin token,
filtered to \`request.denied\`; denials are \`GET /orders\` without a token (401), over HTTP/1.1
keep-alive (undici). Delay: from the 401's arrival at the client to its event's arrival on the feed,
matched by request id.

| phase | denials | denials/s | p50 ms | p90 ms | p99 ms | max ms | lost |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${row(`steady (${rate}/s open loop, ${seconds} s)`, figures.steady)}
${row(`burst (${burstConcurrency} in flight, ${burstSeconds} s)`, figures.burst)}
${row('all', figures.all, false)}

Target (issue 13): p99 < ${TARGET_P99_MS / 1000} s and nothing lost — ${met ? '**met**' : '**not met**'} (p99 ${ms(figures.all.p99Ms)} ms, ${figures.all.lost} lost).
Events seen twice on the feed: ${duplicates}. Answers other than a 401: ${unexpectedText === '' ? 'none' : unexpectedText}.
The feed stayed open for ${Math.round(feedOpenSeconds)} s on one HTTP/2 stream${feedEnded === undefined ? ' and was never cut' : `, then **ended: ${feedEnded}**`}.

\`\`\`json
${JSON.stringify({ machine, load, rate, seconds, burstSeconds, burstConcurrency, graceSeconds, figures, duplicates, feedOpenSeconds: Math.round(feedOpenSeconds), feedEnded: feedEnded ?? null }, null, 2)}
\`\`\`
`;
process.stdout.write(report);
if (!args['no-write']) {
  const results = join(import.meta.dirname, 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, `audit-feed-delay-${date}.md`), report);
}

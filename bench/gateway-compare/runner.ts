// The runs of bench/gateway-compare.ts: token supplies, the checks every target must pass before it
// is measured, and the peak and half-load rounds.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { Issuer } from './issuer.ts';
import { fullPath, plainPath, type BenchPlatform } from './platform.ts';
import { rssBytes } from './procfs.ts';
import { startHaproxy, startNginx } from './proxies.ts';
import { summarize } from './summary.ts';
import { FRESH, REUSING, TARGETS, type ProxyName, type Target, type TargetId } from './targets.ts';
import { measure, type LoadSpec, type Measured } from './wrk.ts';

export interface Settings {
  readonly cores: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly connections: number;
  readonly threads: number;
  readonly users: number;
}

export interface Outcome {
  readonly peak: Partial<Record<TargetId, Measured[]>>;
  readonly half: Partial<Record<TargetId, Measured[]>>;
  readonly halfRate: number;
  /** How many times, on average, each user's token went through the gateway before measuring. */
  readonly primedUses: number;
}

/** Fresh tokens minted per run: this many times what the run is expected to send. */
const FRESH_MARGIN = 1.5;
/** Passes over the users' tokens before measuring, and the longest that may take. */
export const PRIME_PASSES = 8;
const MAX_PRIME_SECONDS = 120;

export async function benchmark(
  platform: BenchPlatform,
  issuer: Issuer,
  work: string,
  settings: Settings,
  say: (line: string) => void,
): Promise<Outcome> {
  const { cores, seconds, warmup, rounds, connections, threads, users } = settings;
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
    try {
      return await body(`https://127.0.0.1:${proxy.port}`, () => proxy.pids());
    } finally {
      await proxy.stop();
    }
  }

  // --- Tokens: the realistic mix, written once as "<subject> <token>" lines for load.lua.
  /** Progress while minting: a counter on a terminal, the total only in a log. */
  const progress = (what: string, total: number) => (done: number) => {
    if (process.stdout.isTTY)
      process.stdout.write(`\r  minting ${what}: ${done}/${total}${done === total ? '\n' : ''}`);
    else if (done === total) say(`  minted ${what}: ${total}`);
  };
  const mixTokens = await issuer.tokens(
    subjects,
    platform.audience,
    progress(`${users} users' tokens`, users),
  );
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
  const edgeCa = readFileSync(join(platform.shop.home, 'ca.pem'), 'utf8');
  async function get(
    origin: string,
    path: string,
    token?: string,
  ): Promise<{ status: number; body: string }> {
    const agent = new Agent({ connect: { ca: edgeCa } });
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
    'wrongly addressed': await issuer.token(firstUser, platform.audience, {
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
  const cedar = await get(gatewayOrigin, fullPath(firstUser), mixTokens[1]);
  if (cedar.status !== 403) throw new Error(`the Cedar rule let another user through (HTTP ${cedar.status})`);
  say(
    'checked: the same 200 answer from all four; gateway and HAProxy refuse bad tokens; Cedar refuses another user',
  );

  // --- Runs.
  async function run(target: Target, rate: number, expectedRps: number): Promise<Measured> {
    for (let attempt = 1; ; attempt++) {
      const supply = Math.ceil((rate > 0 ? rate : expectedRps) * seconds * FRESH_MARGIN * attempt) + 1000;
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
        // Warm-up with the realistic mix, so the fresh tokens all go to the measured run.
        const fresh = target.mode === 'fresh';
        const warm = await measure(
          { ...spec, mode: fresh ? 'mix' : spec.mode, source: fresh ? mixFile : source, seconds: warmup },
          groups,
        );
        if (warm.non2xx > 0)
          throw new Error(`${target.label}: ${warm.non2xx} non-2xx answers while warming up`);
        return measure(spec, groups);
      });
      if (target.mode === 'fresh')
        for (let t = 0; t < threads; t++) rmSync(`${source}.${t}`, { force: true });
      if (measured.non2xx > 0)
        throw new Error(
          `${target.label} (${target.mode}): ${measured.non2xx} of ${measured.requests} answers were not 2xx`,
        );
      if (measured.repeats === 0) return measured;
      if (attempt === 2) throw new Error(`${target.label}: ran out of fresh tokens twice`);
      say(`  ${target.label}: ${measured.repeats} requests reused a token (too few minted); again with more`);
    }
  }

  /**
   * A gateway serving these users holds their tokens in its caches — one set per worker, reached
   * through whichever worker the kernel gave a connection to. Before anything is measured, every
   * user's token goes through the gateway PRIME_PASSES times in turn (load.lua's cycle mode), each
   * time on whichever connection is free, so a (token, worker) pair stays cold with a chance of
   * about (1 - 1/workers)^PRIME_PASSES: 0.4% with two workers.
   */
  async function primeGateway(): Promise<number> {
    const groups = { proxy: platform.gatewayPids, upstream: platform.upstreamPids, supervisor: () => [] };
    const goal = users * PRIME_PASSES;
    const started = performance.now();
    let sent = 0;
    while (sent < goal && performance.now() - started < MAX_PRIME_SECONDS * 1000) {
      const chunk = await measure(
        {
          origin: gatewayOrigin,
          mode: 'cycle',
          source: mixFile,
          offset: sent % users,
          rate: 0,
          threads,
          connections,
          seconds: 2,
        },
        groups,
      );
      if (chunk.non2xx > 0) throw new Error(`the gateway refused ${chunk.non2xx} requests while priming`);
      sent += chunk.requests;
    }
    const took = (performance.now() - started) / 1000;
    const rss = platform.gatewayPids().reduce((total, pid) => total + rssBytes(pid), 0);
    say(
      `primed the gateway's caches: each user's token ~${(sent / users).toFixed(1)} times in ` +
        `${took.toFixed(0)} s (gateway RSS now ${(rss / 2 ** 20).toFixed(0)} MiB)`,
    );
    return sent / users;
  }

  const line = (target: Target, m: Measured, extra = ''): string =>
    `  ${target.label.padEnd(26)} ${target.mode.padEnd(5)} ${m.rps.toFixed(0).padStart(6)} req/s  ` +
    `p50 ${m.p50ms.toFixed(2)} ms  p99 ${m.p99ms.toFixed(2)} ms  ${(m.proxyRssBytes / 2 ** 20).toFixed(0)} MiB  ` +
    `proxy ${m.cpuUs.proxy.toFixed(0)} µs/req  machine ${m.machineCores.toFixed(2)} cores${extra}`;

  const peak: Partial<Record<TargetId, Measured[]>> = {};
  const half: Partial<Record<TargetId, Measured[]>> = {};
  async function inRounds(ids: readonly TargetId[], rate: number, into: typeof peak): Promise<void> {
    for (let round = 1; round <= rounds; round++) {
      for (const id of ids) {
        const target = TARGETS[id];
        // A fresh-token run sends about as fast as its proxy's realistic runs did.
        const mixOfSameProxy = target.proxy === 'gateway' ? 'gateway-full-mix' : 'haproxy-mix';
        const expected = rate > 0 ? rate : summarize(peak[mixOfSameProxy] ?? []).rps || 1000;
        const measured = await run(target, rate, expected);
        (into[id] ??= []).push(measured);
        const saturated = rate > 0 && measured.rps < rate * 0.95;
        say(line(target, measured, saturated ? '  (below the rate: saturated)' : ''));
      }
    }
  }

  const primedUses = await primeGateway();
  say(
    `peak throughput: ${connections} connections, ${threads} wrk thread(s), ` +
      `${warmup} s warm-up + ${seconds} s, ${rounds} round(s)`,
  );
  await inRounds(REUSING, 0, peak);
  const halfRate = Math.round(summarize(peak['gateway-plain'] ?? []).rps / 2);
  say(`half load: ${halfRate} req/s (half of the plain gateway's median peak), paced by load.lua`);
  await inRounds(REUSING, halfRate, half);
  say('fresh token per request, at peak and at half load');
  await inRounds(FRESH, 0, peak);
  await inRounds(['gateway-full-fresh'], halfRate, half);
  return { peak, half, halfRate, primedUses };
}

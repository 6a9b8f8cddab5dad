// Medians over rounds and the ratios the question asks for, for bench/gateway-compare.ts.
import type { TargetId } from './targets.ts';
import type { Measured } from './wrk.ts';

export interface Summary {
  readonly runs: number;
  readonly rps: number;
  readonly p50ms: number;
  readonly p90ms: number;
  readonly p99ms: number;
  readonly p999ms: number;
  readonly cpuUs: Measured['cpuUs'];
  readonly machineCores: number;
  /** The largest peak over the rounds. */
  readonly rssBytes: number;
  /** Summed over the rounds. */
  readonly socketErrors: number;
}

export const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export function summarize(runs: readonly Measured[]): Summary {
  const m = (pick: (r: Measured) => number): number => median(runs.map(pick));
  return {
    runs: runs.length,
    rps: m((r) => r.rps),
    p50ms: m((r) => r.p50ms),
    p90ms: m((r) => r.p90ms),
    p99ms: m((r) => r.p99ms),
    p999ms: m((r) => r.p999ms),
    cpuUs: {
      proxy: m((r) => r.cpuUs.proxy),
      upstream: m((r) => r.cpuUs.upstream),
      supervisor: m((r) => r.cpuUs.supervisor),
      wrk: m((r) => r.cpuUs.wrk),
      machine: m((r) => r.cpuUs.machine),
    },
    machineCores: m((r) => r.machineCores),
    rssBytes: Math.max(...runs.map((r) => r.proxyRssBytes)),
    socketErrors: runs.reduce((total, r) => total + r.socketErrors, 0),
  };
}

export type Summaries = Partial<Record<TargetId, Summary>>;

export interface Ratios {
  /** Full pipeline (realistic mix) over the plain gateway: target ≥ 0.80. */
  readonly fullMixOverPlain: number;
  readonly fullFreshOverPlain: number;
  /**
   * The same ratio from the gateway's own CPU per request at one rate (half load), which the load
   * generator and the other processes do not distort.
   */
  readonly cpuPlainOverFullMix: number;
  readonly cpuPlainOverFullFresh: number;
  readonly gatewayPlainOverNginx: number;
  readonly gatewayFullMixOverHaproxyMix: number;
  readonly gatewayFullFreshOverHaproxyFresh: number;
  /** Added p99 of the full pipeline over the plain gateway at half of its peak: target < 2 ms. */
  readonly halfLoadAddedP99msMix: number;
  readonly halfLoadAddedP99msFresh: number;
}

export function ratios(peak: Summaries, half: Summaries): Ratios {
  const rps = (id: TargetId): number => peak[id]?.rps ?? Number.NaN;
  const cpu = (id: TargetId): number => half[id]?.cpuUs.proxy ?? Number.NaN;
  const p99 = (id: TargetId): number => half[id]?.p99ms ?? Number.NaN;
  return {
    fullMixOverPlain: rps('gateway-full-mix') / rps('gateway-plain'),
    fullFreshOverPlain: rps('gateway-full-fresh') / rps('gateway-plain'),
    cpuPlainOverFullMix: cpu('gateway-plain') / cpu('gateway-full-mix'),
    cpuPlainOverFullFresh: cpu('gateway-plain') / cpu('gateway-full-fresh'),
    gatewayPlainOverNginx: rps('gateway-plain') / rps('nginx'),
    gatewayFullMixOverHaproxyMix: rps('gateway-full-mix') / rps('haproxy-mix'),
    gatewayFullFreshOverHaproxyFresh: rps('gateway-full-fresh') / rps('haproxy-fresh'),
    halfLoadAddedP99msMix: p99('gateway-full-mix') - p99('gateway-plain'),
    halfLoadAddedP99msFresh: p99('gateway-full-fresh') - p99('gateway-plain'),
  };
}

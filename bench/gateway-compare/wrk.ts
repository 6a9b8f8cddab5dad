// One wrk run of bench/gateway-compare.ts, with what the machine did meanwhile: the CPU time of
// each process group (the proxy, the upstream, the supervisor, wrk itself), of the whole machine,
// and the proxy's peak resident memory.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpuUs, machineBusyUs, sampleRss } from './procfs.ts';

export const WRK = '/usr/bin/wrk';
const SCRIPT = join(import.meta.dirname, 'load.lua');

export type LoadMode = 'plain' | 'mix' | 'cycle' | 'fresh';

export interface LoadSpec {
  /** `https://127.0.0.1:<port>` of the proxy. */
  readonly origin: string;
  readonly mode: LoadMode;
  /** plain: the path; mix, cycle: the token file; fresh: the token files' prefix (`.<thread>` is added). */
  readonly source: string;
  /** Requests per second for the whole run; 0 = as fast as the connections go. */
  readonly rate: number;
  readonly threads: number;
  readonly connections: number;
  readonly seconds: number;
  /** cycle: where in the token file to start (to continue a pass across runs). */
  readonly offset?: number;
}

/** What wrk's done() reports (load.lua), times in µs. */
interface WrkReport {
  readonly requests: number;
  readonly durationUs: number;
  readonly connectErrors: number;
  readonly readErrors: number;
  readonly writeErrors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly repeats: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

export interface Groups {
  /** The processes serving the proxy under test (re-read at each sample). */
  readonly proxy: () => number[];
  readonly upstream: () => number[];
  readonly supervisor: () => number[];
}

export interface Measured {
  readonly rps: number;
  readonly requests: number;
  readonly p50ms: number;
  readonly p90ms: number;
  readonly p99ms: number;
  readonly p999ms: number;
  readonly maxMs: number;
  /** Responses with a status over 399 (wrk counts 3xx as success; the targets were checked for 200). */
  readonly non2xx: number;
  readonly socketErrors: number;
  /** fresh mode: requests that reused a token because the minted ones ran out. */
  readonly repeats: number;
  /** CPU time per request, µs, in each group, in wrk, and on the whole machine. */
  readonly cpuUs: { proxy: number; upstream: number; supervisor: number; wrk: number; machine: number };
  /** Cores the machine had busy on average during the run (all processes, other users included). */
  readonly machineCores: number;
  /** Peak resident memory of the proxy's processes during the run. */
  readonly proxyRssBytes: number;
}

const sumCpu = (pids: number[]): number => pids.reduce((total, pid) => total + cpuUs(pid), 0);

/** `wrk` under bash, whose `times` prints the CPU time its children (wrk) used, after it exits. */
function wrk(spec: LoadSpec): Promise<{ report: WrkReport; cpuUs: number; output: string }> {
  const args = [
    '-c',
    'wrk "$@"; rc=$?; times >&2; exit $rc',
    'bench-wrk',
    '-t',
    String(spec.threads),
    '-c',
    String(spec.connections),
    '-d',
    `${spec.seconds}s`,
    // Latencies above wrk's timeout are not recorded at all: keep the tail in the histogram.
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    spec.origin,
    '--',
    spec.mode,
    spec.source,
    String(spec.rate),
    String(spec.threads),
    String(spec.offset ?? 0),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = /^RAMPART_WRK (.*)$/m.exec(stdout)?.[1];
      // `times`: the shell's own user and system time, then its children's: "0m1.234s 0m0.056s".
      const times = [...stderr.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      if (code !== 0 || line === undefined || times.length < 4) {
        reject(new Error(`wrk failed (exit ${code ?? 'signal'}):\n${stdout}\n${stderr}`));
        return;
      }
      resolve({
        report: JSON.parse(line) as WrkReport,
        cpuUs: ((times[2] ?? 0) + (times[3] ?? 0)) * 1_000_000,
        output: stdout,
      });
    });
  });
}

export async function measure(spec: LoadSpec, groups: Groups): Promise<Measured> {
  const before = {
    proxy: sumCpu(groups.proxy()),
    upstream: sumCpu(groups.upstream()),
    supervisor: sumCpu(groups.supervisor()),
    machine: machineBusyUs(),
  };
  const rss = sampleRss(groups.proxy);
  let proxyRssBytes = 0;
  const run = await wrk(spec).finally(() => {
    proxyRssBytes = rss.stop();
  });
  const after = {
    proxy: sumCpu(groups.proxy()),
    upstream: sumCpu(groups.upstream()),
    supervisor: sumCpu(groups.supervisor()),
    machine: machineBusyUs(),
  };
  const { report } = run;
  const perRequest = (us: number): number => us / Math.max(1, report.requests);
  const ms = (us: number): number => us / 1000;
  return {
    rps: report.requests / (report.durationUs / 1_000_000),
    requests: report.requests,
    p50ms: ms(report.p50Us),
    p90ms: ms(report.p90Us),
    p99ms: ms(report.p99Us),
    p999ms: ms(report.p999Us),
    maxMs: ms(report.maxUs),
    non2xx: report.non2xx,
    socketErrors: report.connectErrors + report.readErrors + report.writeErrors + report.timeouts,
    repeats: report.repeats,
    cpuUs: {
      proxy: perRequest(after.proxy - before.proxy),
      upstream: perRequest(after.upstream - before.upstream),
      supervisor: perRequest(after.supervisor - before.supervisor),
      wrk: perRequest(run.cpuUs),
      machine: perRequest(after.machine - before.machine),
    },
    machineCores: (after.machine - before.machine) / report.durationUs,
    proxyRssBytes,
  };
}

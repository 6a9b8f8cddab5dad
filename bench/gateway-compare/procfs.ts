// What the benchmark reads from Linux's /proc: process trees, CPU time, resident memory and how
// busy the whole machine was (the load generator and other users of the machine included).
import { readdirSync, readFileSync } from 'node:fs';

/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of /proc CPU times. */
const CLK_TCK = 100;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process (or thread) has exited
  }
}

function threadsOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** `pid` and every process below it (workers forked by any of its threads). */
export function processTree(pid: number): number[] {
  const tree: number[] = [];
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (read(`/proc/${next}/stat`) === undefined) continue;
    tree.push(next);
    for (const task of threadsOf(next)) {
      const children = read(`/proc/${next}/task/${task}/children`) ?? '';
      for (const child of children.trim().split(/\s+/).filter(Boolean)) pending.push(Number(child));
    }
  }
  return tree;
}

/** CPU time (user + system, every thread) a process has used so far, in µs; 0 once it is gone. */
export function cpuUs(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return 0;
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLK_TCK;
}

/** Resident set size of a process in bytes (VmRSS); 0 once it is gone. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(read(`/proc/${pid}/status`) ?? '');
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** CPU time the whole machine spent busy (all cores, anything but idle and iowait), in µs. */
export function machineBusyUs(): number {
  const line = (read('/proc/stat') ?? '').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal …
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return ((total - idle) * 1_000_000) / CLK_TCK;
}

/**
 * Samples the summed resident memory of a set of processes (re-read each time, so workers started
 * or restarted are counted) until stopped; returns the largest sum seen.
 */
export function sampleRss(pids: () => number[], everyMs = 200): { stop(): number } {
  let peak = 0;
  const sample = (): void => {
    const sum = pids().reduce((total, pid) => total + rssBytes(pid), 0);
    if (sum > peak) peak = sum;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

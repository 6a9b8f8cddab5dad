import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { componentEnv } from '@rampart/config';

/** The checkout this package lives in (packages/testing/src → the root). */
export const repoRoot = resolve(import.meta.dirname, '../../..');
export const cliMain = join(repoRoot, 'apps/cli/src/main.ts');
export const shopServices = join(repoRoot, 'examples/shop/services');

/** Process groups of `rampart up` children still running; killed if the test process exits first. */
const running = new Set<number>();
process.once('exit', () => {
  // A test file that fails or times out (`--test-force-exit`) must not leave a platform running.
  for (const group of running) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A `rampart up` child process with its combined output, for lifecycle tests. */
export class UpProcess {
  readonly child: ChildProcess;
  output = '';

  constructor(configFile: string, args: readonly string[] = [], env: Readonly<Record<string, string>> = {}) {
    this.child = spawn(process.execPath, [cliMain, 'up', configFile, ...args], {
      env: {
        ...process.env,
        ...env,
        NO_COLOR: '1',
        RAMPART_TEST_SUPERVISOR_SECRET: 'must-not-reach-components',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, like a shell job: `interrupt()` is a terminal's Ctrl-C.
      detached: true,
    });
    const group = this.child.pid;
    if (group !== undefined) {
      running.add(group);
      this.child.once('exit', () => running.delete(group));
    }
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** Waits until the output, from `from` on, matches `pattern`. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = pattern.exec(this.output.slice(from));
      if (match) return match[0];
      if (this.child.exitCode !== null) break;
      await sleep(25);
    }
    throw new Error(`timed out waiting for ${pattern}; output so far:\n${this.output}`);
  }

  exited(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((done) =>
      this.child.once('exit', (code) => {
        done(code);
      }),
    );
  }

  /** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
  async interrupt(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGINT');
    return this.exited();
  }

  async stop(): Promise<number | null> {
    return this.interrupt();
  }
}

/** Child pids of a process, from Linux's /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

/** A temporary directory others may traverse (components may run as `nobody`). */
export function tempConfigDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-up-'));
  chmodSync(dir, 0o755);
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` distinct free loopback ports, none 1000 apart from another (see below). */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await new Promise<number>((done, fail) => {
      const server = createServer();
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => {
          done(typeof address === 'object' && address !== null ? address.port : 0);
        });
      });
    });
    // A service's admin port is its port + 1000 (rampart.yaml's default): no two ports picked here
    // may be 1000 apart, or the config they go into is refused (CFG_PORT_CONFLICT).
    const clashes = ports.some((other) => other === port || Math.abs(other - port) === 1000);
    if (!clashes && port + 1000 <= 65_535) ports.push(port);
  }
  return ports;
}

export function writeConfig(dir: string, yaml: string): string {
  const file = join(dir, 'rampart.yaml');
  writeFileSync(file, yaml, { mode: 0o644 });
  return file;
}

export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  const text = await response.text();
  return { status: response.status, body: text.length > 0 ? (JSON.parse(text) as unknown) : null };
}

/**
 * The processes a `rampart up` runs now, by component name as it names them (`gateway`,
 * `gateway-2`, `identity-2`, `orders`, …), read from each child's environment in /proc — the
 * supervisor's own record is its output (`… ready (… ms, pid N)`), which a restart makes stale.
 *
 * @example
 * process.kill(componentPids(shop.up).get('gateway-2')!, 'SIGKILL');
 */
export function componentPids(up: UpProcess): Map<string, number> {
  const pids = new Map<string, number>();
  if (up.child.pid === undefined) return pids;
  for (const pid of childPids(up.child.pid)) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const env = new Map(
      environ
        .split('\0')
        .filter((entry) => entry.includes('='))
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as const),
    );
    const component = env.get(componentEnv.component.name);
    if (component === undefined || !isRunning(pid)) continue;
    const replica = env.get(componentEnv.replica.name);
    pids.set(replica === undefined || replica === '1' ? component : `${component}-${replica}`, pid);
  }
  return pids;
}

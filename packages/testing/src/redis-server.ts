import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where Debian installs redis-server. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** A redis-server of the test's own, never the machine's shared one on 6379. */
export interface TestRedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: () => number | undefined;
  /** Kills it with SIGKILL (no clean shutdown) and waits for the exit: its data is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Whether redis-server is installed: spread `{ skip }` into a test's options. With
 * `RAMPART_REQUIRE_SERVICES=1` a missing one throws instead, so CI cannot skip silently.
 */
export function redisServerAvailability(env: Readonly<Record<string, string | undefined>> = process.env): {
  skip: string | false;
} {
  if (existsSync(REDIS_SERVER)) return { skip: false };
  const reason = `${REDIS_SERVER} is not installed (apt-get install redis-server)`;
  if (env['RAMPART_REQUIRE_SERVICES'] === '1')
    throw new Error(`${reason}; RAMPART_REQUIRE_SERVICES=1 forbids skipping`);
  return { skip: reason };
}

/**
 * Starts `redis-server` on 127.0.0.1:`port` without persistence (`--save '' --appendonly no`) and
 * resolves once it accepts connections. Refuses 6379, the machine's shared Redis.
 *
 * @example
 * const redis = await startRedisServer(await freePort());
 * await redis.kill(); await redis.restart();
 */
export async function startRedisServer(port: number): Promise<TestRedisServer> {
  if (port === 6379) throw new TypeError('6379 is the shared Redis: give the test a port of its own');
  let child: ChildProcess | undefined;
  let output = '';
  async function start(): Promise<void> {
    const started = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    started.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (started.exitCode !== null)
        throw new Error(`redis-server exited (${String(started.exitCode)}): ${output.slice(-2000)}`);
      if (Date.now() > deadline)
        throw new Error(`redis-server did not listen on ${String(port)}: ${output.slice(-2000)}`);
      await sleep(50);
    }
  }
  async function kill(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  }
  // A test that fails must not leave it running.
  process.once('exit', () => child?.kill('SIGKILL'));
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => child?.pid,
    kill: () => kill('SIGKILL'),
    restart: start,
    stop: () => kill('SIGTERM'),
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where Debian installs nats-server. */
export const NATS_SERVER = '/usr/sbin/nats-server';

/** A nats-server this test started, with its own configuration. */
export interface TestNatsServer {
  readonly port: number;
  /** The server's stderr and stdout so far (its log). */
  readonly output: () => string;
  /** Kills it with SIGKILL (no clean shutdown) and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and configuration (JetStream's files kept). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Whether nats-server is installed: spread `{ skip }` into a test's options. */
export function natsServerAvailability(): { skip: string | false } {
  return {
    skip: existsSync(NATS_SERVER) ? false : `${NATS_SERVER} is not installed (apt-get install nats-server)`,
  };
}

/**
 * Starts `/usr/sbin/nats-server -c <dir>/nats.conf` with `config` (which must listen on
 * 127.0.0.1:`port`) and resolves once the port accepts connections.
 *
 * @example
 * const nats = await startNatsServer(dir.path, port, natsServerConfig({ … }));
 * await nats.kill(); await nats.restart();
 */
export async function startNatsServer(dir: string, port: number, config: string): Promise<TestNatsServer> {
  const file = join(dir, 'nats.conf');
  writeFileSync(file, config, { mode: 0o600 });
  let child: ChildProcess | undefined;
  let output = '';
  async function start(): Promise<void> {
    const started = spawn(NATS_SERVER, ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (started.exitCode !== null)
        throw new Error(`nats-server exited (${String(started.exitCode)}): ${output.slice(-2000)}`);
      if (Date.now() > deadline)
        throw new Error(`nats-server did not listen on ${String(port)}: ${output.slice(-2000)}`);
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
  await start();
  return {
    port,
    output: () => output,
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

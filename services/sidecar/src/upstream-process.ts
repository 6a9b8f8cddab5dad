import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { Logger } from '@rampart/sdk';

/** Where the sidecar finds util-linux's setpriv, which ties the process's life to the sidecar's. */
const SETPRIV = '/usr/bin/setpriv';
const STOP_GRACE_MS = 3_000;

export interface UpstreamProcessOptions {
  /** `run` of rampart.yaml: split on spaces, no shell. */
  readonly command: string;
  /** The directory of rampart.yaml: `run` runs there. */
  readonly cwd: string;
  /** Its whole environment (nothing of the sidecar's own is inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly log: Logger;
  /** Called once if it exits while the sidecar did not ask it to. */
  readonly onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface UpstreamProcess {
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it is gone. */
  stop(): Promise<void>;
}

/** `run` as an argument vector: words split on whitespace; quotes and shell syntax are not interpreted. */
export function commandWords(command: string): string[] {
  const words = command
    .trim()
    .split(/\s+/u)
    .filter((word) => word !== '');
  if (words.length === 0) throw new TypeError('`run` is empty: write the command that starts the process');
  return words;
}

/**
 * Starts the process of `run` beside the sidecar, as the sidecar's own user (under `rampart up` as
 * root, the service's user), with only the variables given (through `env -u NODE_OPTIONS`, which
 * execs it in place). Its output goes to the sidecar's log.
 * On Linux it runs under `setpriv --pdeathsig KILL`, so it dies with the sidecar even when the
 * sidecar is killed without a chance to stop it; otherwise the sidecar stops it on its way out.
 */
export function startUpstreamProcess(options: UpstreamProcessOptions): UpstreamProcess {
  // Node puts its permission flags in a child's NODE_OPTIONS (the sidecar runs under them): cleared,
  // so a Node process of `run` is not confined to the sidecar's paths — it is outside that model.
  const words = ['/usr/bin/env', '-u', 'NODE_OPTIONS', ...commandWords(options.command)];
  const [file, ...args] = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...words] : words;
  const child: ChildProcess = spawn(file ?? '', args, {
    cwd: options.cwd,
    env: { ...options.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let stopping = false;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping) options.onExit(code, signal);
      resolve();
    });
    child.once('error', (error) => {
      options.log.error({ err: error }, `cannot start \`${options.command}\``);
      if (!stopping) options.onExit(null, null);
      resolve();
    });
  });
  options.log.info({ pid: child.pid, command: options.command }, 'upstream process started');
  return {
    pid: child.pid,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Whether something accepts TCP connections on host:port within `timeoutMs` (readiness). */
export function accepting(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

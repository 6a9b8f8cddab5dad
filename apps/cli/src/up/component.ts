import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { RampartError } from '@rampart/errors';
import type { RampartConfig } from '@rampart/config';
import {
  LAUNCH_SECRETS_REPLY,
  LAUNCH_SECRETS_REQUEST,
  LAUNCH_SECRETS_VARIABLE,
  type LaunchSecrets,
} from '@rampart/sdk';
import type { RunAs } from './privileges.ts';
import { waitUntilReady } from './readiness.ts';

/** Everything needed to run one component as a supervised child process. */
export interface ComponentSpec {
  readonly name: string;
  readonly entry: string;
  readonly url: string;
  readonly readyUrl: string;
  readonly nodeArgs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly runAs: RunAs | null;
  readonly logFile: string;
  readonly readyTimeoutMs: number;
  /**
   * Secrets minted or looked up for each (re)start — a one-time mesh join token, a SQL password —
   * handed to that process alone over its IPC channel when it asks, never put in its environment.
   */
  readonly prepareSecrets?: () => Promise<LaunchSecrets>;
}

export type ComponentEvent =
  | { readonly type: 'ready'; readonly name: string; readonly ms: number; readonly restart: boolean }
  | {
      readonly type: 'exited';
      readonly name: string;
      readonly code: number | null;
      readonly signal: string | null;
      readonly restartInMs: number;
    }
  | { readonly type: 'error-logged'; readonly name: string; readonly message: string }
  | { readonly type: 'config-applied'; readonly name: string; readonly revision: number };

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
/** A run this long counts as healthy: the next crash restarts from the shortest delay again. */
const STABLE_AFTER_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/**
 * One supervised component: spawned under the permission model (and an unprivileged user when
 * `up` is root), its output appended to its log file, restarted with exponential backoff when it
 * dies, and stopped with SIGTERM then SIGKILL.
 */
export class Component {
  readonly spec: ComponentSpec;
  readonly #onEvent: (event: ComponentEvent) => void;
  readonly #log: WriteStream;
  #child: ChildProcess | null = null;
  #stopping = false;
  #failures = 0;
  #startedAt = 0;
  #restartTimer: NodeJS.Timeout | null = null;

  constructor(spec: ComponentSpec, onEvent: (event: ComponentEvent) => void) {
    this.spec = spec;
    this.#onEvent = onEvent;
    this.#log = createWriteStream(spec.logFile, { flags: 'a', mode: 0o600 });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process and resolves once its readiness endpoint answers 200. */
  async start(): Promise<void> {
    const started = Date.now();
    const child = this.#spawn(await this.spec.prepareSecrets?.());
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => {
        reject(
          new RampartError('SUP_COMPONENT_NOT_READY', {
            detail: `${this.spec.name} exited (${signal ?? `code ${code}`}) before it was ready; see ${this.spec.logFile}`,
          }),
        );
      });
    });
    exited.catch(() => undefined);
    await Promise.race([
      waitUntilReady(this.spec.readyUrl, this.spec.readyTimeoutMs, this.spec.name),
      exited,
    ]);
    this.#onEvent({ type: 'ready', name: this.spec.name, ms: Date.now() - started, restart: false });
  }

  /**
   * Sends a message and resolves with the first reply of `replyType`; rejects after `timeoutMs`
   * or if the process is not running.
   */
  request(
    message: { readonly type: string; readonly [field: string]: unknown },
    replyType: string,
    timeoutMs = 5_000,
  ): Promise<unknown> {
    const child = this.#child;
    if (child?.connected !== true) {
      return Promise.reject(new Error(`${this.spec.name} is not running`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`${this.spec.name} did not answer ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (reply: unknown): void => {
        if (typeof reply !== 'object' || reply === null || (reply as { type?: unknown }).type !== replyType)
          return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(reply);
      };
      child.on('message', onMessage);
      child.send(message);
    });
  }

  /** Sends a message the process acts on without answering. */
  notify(message: { readonly type: string }): void {
    const child = this.#child;
    if (child?.connected === true) child.send(message);
  }

  /** Sends a validated config to the running process; it applies it without a restart. */
  sendConfig(revision: number, config: RampartConfig): void {
    const child = this.#child;
    if (child?.connected === true) child.send({ type: 'config', revision, config });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) {
      await this.#closeLog();
      return;
    }
    const gone = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
      }),
    );
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await gone;
    clearTimeout(timer);
    await this.#closeLog();
  }

  #spawn(secrets: LaunchSecrets | undefined): ChildProcess {
    const { spec } = this;
    this.#startedAt = Date.now();
    const child = spawn(process.execPath, [...spec.nodeArgs, spec.entry], {
      env: secrets === undefined ? spec.env : { ...spec.env, [LAUNCH_SECRETS_VARIABLE]: 'ipc' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      // Its own process group: Ctrl-C reaches only the supervisor, which stops components in
      // order. A component exits by itself when the IPC channel closes, so none outlives `up`.
      detached: true,
      ...(spec.runAs === null ? {} : { uid: spec.runAs.uid, gid: spec.runAs.gid }),
    });
    this.#child = child;
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    if (child.stdout) this.#watchErrors(child.stdout);
    let unclaimed = secrets;
    child.on('message', (message: unknown) => {
      if (isSecretsRequest(message)) {
        // Answered once: the secrets live in this process only until their child has them.
        if (unclaimed !== undefined && child.connected)
          child.send({ type: LAUNCH_SECRETS_REPLY, ...unclaimed });
        unclaimed = undefined;
        return;
      }
      this.#onMessage(message);
    });
    child.once('exit', (code, signal) => {
      this.#onExit(child, code, signal);
    });
    return child;
  }

  /** Error-level log lines reach the terminal as one compact line; the full record stays in the log file. */
  #watchErrors(stdout: NodeJS.ReadableStream): void {
    const lines = createInterface({ input: stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      // Only error and fatal lines reach the terminal: skip the rest without parsing them.
      if (!line.startsWith('{') || !(line.includes('"level":50') || line.includes('"level":60'))) return;
      try {
        const record = JSON.parse(line) as { level?: unknown; msg?: unknown };
        if (typeof record.level === 'number' && record.level >= 50 && typeof record.msg === 'string') {
          this.#onEvent({ type: 'error-logged', name: this.spec.name, message: record.msg });
        }
      } catch {
        // Not a JSON log line: it is still in the log file; the terminal summary skips it.
      }
    });
  }

  #onMessage(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const { type, revision } = message as { type?: unknown; revision?: unknown };
    if (type === 'config.applied' && typeof revision === 'number') {
      this.#onEvent({ type: 'config-applied', name: this.spec.name, revision });
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child || this.#stopping) return;
    this.#scheduleRestart(code, signal);
  }

  #scheduleRestart(code: number | null, signal: NodeJS.Signals | null): void {
    this.#failures = Date.now() - this.#startedAt > STABLE_AFTER_MS ? 1 : this.#failures + 1;
    const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (this.#failures - 1));
    this.#onEvent({ type: 'exited', name: this.spec.name, code, signal, restartInMs: delay });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (!this.#stopping) void this.#restart();
    }, delay);
  }

  async #restart(): Promise<void> {
    const started = Date.now();
    let secrets: LaunchSecrets | undefined;
    try {
      secrets = await this.spec.prepareSecrets?.();
    } catch (error) {
      // e.g. the mesh is restarting too: count it as a failed start and try again later.
      this.#onEvent({ type: 'error-logged', name: this.spec.name, message: (error as Error).message });
      this.#scheduleRestart(null, null);
      return;
    }
    if (this.#stopping) return;
    const child = this.#spawn(secrets);
    try {
      await waitUntilReady(
        this.spec.readyUrl,
        this.spec.readyTimeoutMs,
        this.spec.name,
        () => child.exitCode !== null || child.signalCode !== null,
      );
      if (this.#isCurrent(child)) {
        this.#onEvent({ type: 'ready', name: this.spec.name, ms: Date.now() - started, restart: true });
      }
    } catch {
      // Not ready in time: kill it, and the exit handler schedules the next attempt with a longer delay.
      if (this.#isCurrent(child)) child.kill('SIGKILL');
    }
  }

  /** Whether `child` is still the process this component runs (it may have been replaced or stopped meanwhile). */
  #isCurrent(child: ChildProcess): boolean {
    return this.#child === child && !this.#stopping;
  }

  async #closeLog(): Promise<void> {
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}

function isSecretsRequest(message: unknown): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === LAUNCH_SECRETS_REQUEST
  );
}

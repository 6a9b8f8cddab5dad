import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { RampartError } from '@rampart/errors';
import type { RampartConfig } from '@rampart/config';
import { LAUNCH_SECRETS_REPLY, LAUNCH_SECRETS_REQUEST, type LaunchSecrets } from '@rampart/sdk';
import { CONFIG_ANSWER_TIMEOUT_MS, type ConfigAnswer } from './config-rollout.ts';
import { attentionEventOf, type AttentionEvent } from './attention-events.ts';
import { LastError } from './last-error.ts';
import { RotatingLog, type LogRotation } from './rotating-log.ts';
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
  /** `logs` of rampart.yaml: size and count of the rotated files (default 10 MiB × 5). */
  readonly logRotation?: LogRotation;
  readonly readyTimeoutMs: number;
  /**
   * Secrets minted or looked up for each (re)start — a one-time mesh join token, a SQL password —
   * handed to that process alone over its IPC channel when it asks, never put in its environment.
   */
  readonly prepareSecrets?: () => Promise<LaunchSecrets>;
  /**
   * The config in force and its revision. A component reads rampart.yaml when it starts, which
   * may hold an edit that was refused or not yet applied: once it is ready (at its first start and
   * after every crash), it is sent the revision in force, so that it serves what every other
   * component serves. Revision 0 is the file as `up` started on it, and is not sent.
   */
  readonly configInForce?: () => { readonly revision: number; readonly config: RampartConfig };
  /** Messages of the component's own (not config answers or secrets requests): the audit service's checkpoints. */
  readonly onMessage?: (message: unknown) => void;
}

export type ComponentEvent =
  | {
      readonly type: 'ready';
      readonly name: string;
      readonly ms: number;
      readonly restart: boolean;
      /** The process now serving (a restart's is a new one). */
      readonly pid?: number;
    }
  | {
      readonly type: 'exited';
      readonly name: string;
      readonly code: number | null;
      readonly signal: string | null;
      readonly restartInMs: number;
      /** The line that best says why (see last-error.ts), when it printed or logged one. */
      readonly lastError?: string;
    }
  | { readonly type: 'error-logged'; readonly name: string; readonly message: string }
  | { readonly type: 'attention'; readonly event: AttentionEvent }
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
  readonly #log: RotatingLog;
  #child: ChildProcess | null = null;
  #stopping = false;
  #failures = 0;
  #startedAt = 0;
  #restartTimer: NodeJS.Timeout | null = null;
  #lastError = new LastError();
  /** Whether start() succeeded: from then on, a crash is followed by a restart. */
  #started = false;

  constructor(spec: ComponentSpec, onEvent: (event: ComponentEvent) => void) {
    this.spec = spec;
    this.#onEvent = onEvent;
    this.#log = new RotatingLog(spec.logFile, spec.logRotation);
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process and resolves once its readiness endpoint answers 200. */
  async start(): Promise<void> {
    const started = Date.now();
    const child = this.#spawn(await this.spec.prepareSecrets?.());
    const exited = new Promise<never>((_, reject) => {
      // 'close', not 'exit': by then its output is read, and the last error line known.
      child.once('close', (code, signal) => {
        const lastError = this.#lastError.line;
        reject(
          new RampartError('SUP_COMPONENT_NOT_READY', {
            detail: `${this.spec.name} exited (${signal ?? `code ${code}`}) before it was ready${lastError === undefined ? '' : `: ${lastError}`}; see ${this.spec.logFile}`,
          }),
        );
      });
    });
    exited.catch(() => undefined);
    await Promise.race([
      waitUntilReady(
        this.spec.readyUrl,
        this.spec.readyTimeoutMs,
        this.spec.name,
        () => this.#stopping || child.exitCode !== null || child.signalCode !== null,
      ),
      exited,
    ]);
    const answer = await this.#applyConfigInForce();
    if (!answer.applied)
      throw new RampartError('SUP_COMPONENT_NOT_READY', {
        detail: `${this.spec.name} refused the config in force: ${answer.reason}`,
      });
    this.#started = true;
    this.#onEvent({
      type: 'ready',
      name: this.spec.name,
      ms: Date.now() - started,
      restart: false,
      ...(child.pid === undefined ? {} : { pid: child.pid }),
    });
  }

  #applyConfigInForce(): Promise<ConfigAnswer> {
    const inForce = this.spec.configInForce?.();
    if (inForce === undefined || inForce.revision === 0) return Promise.resolve({ applied: true });
    return this.applyConfig(inForce.revision, inForce.config, CONFIG_ANSWER_TIMEOUT_MS).catch(
      (error: unknown) => ({ applied: false, reason: (error as Error).message }),
    );
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
    return this.#ask(message, timeoutMs, (reply) =>
      (reply as { type?: unknown }).type === replyType ? reply : undefined,
    );
  }

  /** Sends a message and resolves with the first reply `accept` maps to a value. */
  #ask<T>(
    message: { readonly type: string; readonly [field: string]: unknown },
    timeoutMs: number,
    accept: (reply: object) => T | undefined,
  ): Promise<T> {
    const child = this.#child;
    if (child?.connected !== true) {
      return Promise.reject(new Error(`${this.spec.name} is not running`));
    }
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(`no answer to ${message.type} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onExit = (): void => {
        settle();
        reject(new Error(`exited before answering ${message.type}`));
      };
      const onMessage = (reply: unknown): void => {
        if (typeof reply !== 'object' || reply === null) return;
        const value = accept(reply);
        if (value === undefined) return;
        settle();
        resolve(value);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    });
  }

  /** Sends a message the process acts on without answering. */
  notify(message: { readonly type: string }): void {
    const child = this.#child;
    if (child?.connected === true) child.send(message);
  }

  /**
   * Sends a validated config to the running process, which applies it without a restart, and
   * resolves with its answer (`config.applied`, or `config.rejected` and the reason it gave).
   */
  applyConfig(revision: number, config: RampartConfig, timeoutMs: number): Promise<ConfigAnswer> {
    return this.#ask({ type: 'config', revision, config }, timeoutMs, (reply) => {
      const { type, reason } = reply as { type?: unknown; reason?: unknown };
      if ((reply as { revision?: unknown }).revision !== revision) return undefined;
      if (type === 'config.applied') return { applied: true };
      if (type === 'config.rejected')
        return { applied: false, reason: typeof reason === 'string' && reason !== '' ? reason : 'refused' };
      return undefined;
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) {
      await this.#closeLog();
      return;
    }
    // 'close', not 'exit': its last lines are read and written by then.
    const gone = new Promise<void>((resolve) =>
      child.once('close', () => {
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
      // Its plan's environment says whether it asks for secrets (`componentEnv.launchSecrets`).
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      // Its own process group: Ctrl-C reaches only the supervisor, which stops components in
      // order. A component exits by itself when the IPC channel closes, so none outlives `up`.
      detached: true,
      ...(spec.runAs === null ? {} : { uid: spec.runAs.uid, gid: spec.runAs.gid }),
    });
    this.#child = child;
    // Each stream assembles its own lines: a rotation or the other stream never cuts one.
    child.stdout?.pipe(this.#log.lines());
    child.stderr?.pipe(this.#log.lines());
    this.#lastError = new LastError();
    if (child.stdout) this.#watchErrors(child.stdout);
    if (child.stderr) this.#watchStderr(child.stderr);
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
    child.once('close', (code, signal) => {
      this.#onExit(child, code, signal);
    });
    return child;
  }

  /** Error-level log lines reach the terminal as one compact line; the full record stays in the log file. */
  #watchErrors(stdout: NodeJS.ReadableStream): void {
    const lines = createInterface({ input: stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      // Only error and fatal lines and security events reach the terminal: skip the rest unparsed.
      if (!line.startsWith('{')) return;
      const isError = line.includes('"level":50') || line.includes('"level":60');
      if (!isError && !line.includes('"securityEvent":') && !line.includes('"alert":')) return;
      try {
        const record = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: unknown; alert?: unknown };
        const attention = attentionEventOf(record, this.spec.name);
        if (attention !== undefined) this.#onEvent({ type: 'attention', event: attention });
        // An alert logged at error is the audit service doing its job, not the component failing.
        const failure = this.spec.name !== 'audit' || record.alert === undefined;
        if (
          failure &&
          typeof record.level === 'number' &&
          record.level >= 50 &&
          typeof record.msg === 'string'
        ) {
          this.#lastError.logRecord(record);
          this.#onEvent({ type: 'error-logged', name: this.spec.name, message: record.msg });
        }
      } catch {
        // Not a JSON log line: it is still in the log file; the terminal summary skips it.
      }
    });
  }

  /** Uncaught errors (a missing module, a syntax error) reach only stderr: remember the last one. */
  #watchStderr(stderr: NodeJS.ReadableStream): void {
    const lastError = this.#lastError;
    createInterface({ input: stderr, crlfDelay: Infinity }).on('line', (line) => {
      lastError.stderrLine(line);
    });
  }

  #onMessage(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const { type, revision } = message as { type?: unknown; revision?: unknown };
    if (type === 'config.applied' && typeof revision === 'number') {
      this.#onEvent({ type: 'config-applied', name: this.spec.name, revision });
    } else {
      this.spec.onMessage?.(message);
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    // Before its first start succeeded, start() rejects with the reason and its caller decides.
    if (this.#child !== child || this.#stopping || !this.#started) return;
    this.#scheduleRestart(code, signal);
  }

  #scheduleRestart(code: number | null, signal: NodeJS.Signals | null): void {
    this.#failures = Date.now() - this.#startedAt > STABLE_AFTER_MS ? 1 : this.#failures + 1;
    const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (this.#failures - 1));
    const lastError = this.#lastError.line;
    this.#onEvent({
      type: 'exited',
      name: this.spec.name,
      code,
      signal,
      restartInMs: delay,
      ...(lastError === undefined ? {} : { lastError }),
    });
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
      if (!this.#isCurrent(child)) return;
      const answer = await this.#applyConfigInForce();
      if (!answer.applied) {
        this.#onEvent({
          type: 'error-logged',
          name: this.spec.name,
          message: `restarted, but refused the config in force: ${answer.reason}`,
        });
      }
      if (this.#isCurrent(child)) {
        this.#onEvent({
          type: 'ready',
          name: this.spec.name,
          ms: Date.now() - started,
          restart: true,
          ...(child.pid === undefined ? {} : { pid: child.pid }),
        });
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
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#log.close();
  }
}

function isSecretsRequest(message: unknown): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === LAUNCH_SECRETS_REQUEST
  );
}

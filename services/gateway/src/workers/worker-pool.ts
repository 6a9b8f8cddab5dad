import { extname } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { RampartConfig } from '@rampart/config';
import type { WorkloadCredentials } from '@rampart/mesh';
import type { Logger } from '@rampart/sdk';
import { createCounterHost } from '../shared-state/index.ts';
import type { FromWorker, Metrics, TlsPair, ToWorker, WorkerData } from './messages.ts';

/** What every worker is built from; the pool keeps the latest, so a restarted worker is current. */
export interface WorkerPoolOptions extends Omit<WorkerData, 'index' | 'revision' | 'counters' | 'sharePort'> {
  readonly count: number;
  /** Other gateway processes (replicas under `rampart up`) bind the port too: bind with SO_REUSEPORT even with one worker. */
  readonly sharedWithReplicas?: boolean;
  readonly log: Logger;
  /** For tests: the worker entry (default `worker-main.ts`). */
  readonly entry?: URL;
}

export interface WorkerPool {
  /** Resolves once every worker listens on the public port. */
  readonly started: Promise<void>;
  /** True while every worker is up and listening. */
  ready(): boolean;
  revision(): number;
  /** Applies a configuration in every worker; rejects (with nothing applied here) if any refuses it. */
  applyConfig(revision: number, config: RampartConfig): Promise<void>;
  setTls(tls: TlsPair): void;
  /** Every worker reads the pinned CAs of the `external` upstreams again. */
  reloadExternalCas(): void;
  setCredentials(credentials: WorkloadCredentials): void;
  /** Every worker's metrics, one array per worker. */
  metrics(): Promise<Metrics[]>;
  stop(): Promise<void>;
}

/** A worker that dies is restarted after this; more than `MAX_CRASHES` within `CRASH_WINDOW_MS` ends the gateway. */
const RESTART_DELAY_MS = 500;
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;
/** Longest a worker may take to answer the main thread (metrics, a configuration). */
const ANSWER_TIMEOUT_MS = 5_000;

interface Slot {
  worker: Worker;
  listening: boolean;
}

/**
 * The gateway's worker threads, one per core by default (`gateway.workers`). Each runs the whole
 * pipeline and binds its own socket on the public port (SO_REUSEPORT), so the kernel spreads
 * connections and no thread relays another's traffic. The main thread keeps the mesh identity, the
 * configuration and the admin port; when there is no Redis and more than one worker, it also holds
 * the counters (rate limits, penalty boxes, DPoP proof ids) so that the workers share one count.
 *
 * A worker that dies is restarted with the current configuration and credentials; a crash loop
 * (`MAX_CRASHES` within a minute) makes `onFatal` fire so the supervisor restarts the whole gateway.
 *
 * @example
 * const pool = startWorkerPool({ count: 2, config, tls, ... , log });
 * await pool.started;
 */
export function startWorkerPool(options: WorkerPoolOptions, onFatal: (error: Error) => void): WorkerPool {
  const { log, count } = options;
  // Beside this module, with its extension: `.ts` in a checkout, the compiled `.js` when installed.
  const entry = options.entry ?? new URL(`./worker-main${extname(import.meta.filename)}`, import.meta.url);
  const shareCounters = count > 1 && options.redisUrl === undefined;
  const counterHost = shareCounters ? createCounterHost() : undefined;
  let state = {
    config: options.config,
    revision: 0,
    tls: options.tls,
    credentials: options.credentials,
  };
  let stopping = false;
  let startedOnce = false;
  const crashes: number[] = [];
  const slots: Slot[] = [];
  let nextRequest = 0;
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });

  function spawn(index: number): void {
    const channel = counterHost === undefined ? undefined : new MessageChannel();
    const data: WorkerData = {
      index,
      revision: state.revision,
      config: state.config,
      ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
      tls: state.tls,
      ...(options.issuerCa === undefined ? {} : { issuerCa: options.issuerCa }),
      ...(options.externalCaDir === undefined ? {} : { externalCaDir: options.externalCaDir }),
      signingKeyPem: options.signingKeyPem,
      pseudonymKey: options.pseudonymKey,
      credentials: state.credentials,
      followRevocations: options.followRevocations,
      logLevel: options.logLevel,
      sharePort: count > 1 || options.sharedWithReplicas === true,
      ...(channel === undefined ? {} : { counters: channel.port2 }),
      ...(options.audit === undefined ? {} : { audit: options.audit }),
      ...(options.telemetryHeaders === undefined ? {} : { telemetryHeaders: options.telemetryHeaders }),
    };
    const worker = new Worker(entry, {
      workerData: data,
      ...(channel === undefined ? {} : { transferList: [channel.port2] }),
    });
    if (channel !== undefined) counterHost?.serve(channel.port1);
    const slot: Slot = { worker, listening: false };
    slots[index] = slot;
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'listening') {
        slot.listening = true;
        if (slots.length === count && slots.every((s) => s.listening)) {
          startedOnce = true;
          markStarted();
        }
      }
    });
    worker.on('error', (error) => {
      log.error({ err: error, worker: index }, 'gateway worker failed');
    });
    worker.on('exit', (code) => {
      slot.listening = false;
      channel?.port1.close();
      if (stopping) return;
      if (!startedOnce) {
        // It never listened: the configuration does not build (a Cedar policy set that does not
        // parse) or the port is taken. Restarting would fail the same way.
        onFatal(new Error(`gateway worker ${index} exited with code ${code} before listening`));
        return;
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && (crashes[0] ?? now) < now - CRASH_WINDOW_MS) crashes.shift();
      if (crashes.length > MAX_CRASHES) {
        onFatal(new Error(`gateway workers exited ${crashes.length} times within a minute`));
        return;
      }
      log.error({ worker: index, code }, 'gateway worker exited; restarting it');
      setTimeout(() => {
        if (!stopping) spawn(index);
      }, RESTART_DELAY_MS).unref();
    });
  }

  function broadcast(message: ToWorker): void {
    for (const slot of slots) slot.worker.postMessage(message);
  }

  /** Sends `message` to one worker and waits for the answer `accept` recognises. */
  function ask<T>(slot: Slot, message: ToWorker, accept: (reply: FromWorker) => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.worker.off('message', listen);
        reject(new Error(`gateway worker did not answer ${message.type} within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      const listen = (reply: FromWorker): void => {
        const value = accept(reply);
        if (value === undefined) return;
        clearTimeout(timer);
        slot.worker.off('message', listen);
        resolve(value);
      };
      slot.worker.on('message', listen);
      slot.worker.postMessage(message);
    });
  }

  for (let index = 0; index < count; index++) spawn(index);

  return {
    started,
    ready: () => slots.length === count && slots.every((slot) => slot.listening),
    revision: () => state.revision,
    async applyConfig(revision, config) {
      if (revision <= state.revision)
        throw new Error(`revision ${revision} is not newer than ${state.revision}`);
      const outcomes = await Promise.all(
        slots.map((slot) =>
          ask(slot, { type: 'config', revision, config }, (reply) =>
            (reply.type === 'config.applied' || reply.type === 'config.rejected') &&
            reply.revision === revision
              ? reply
              : undefined,
          ),
        ),
      );
      // Every worker builds the same tables from the same file, so they agree; if one ever refused,
      // the ones that applied it still serve it — say so loudly rather than pretend otherwise.
      const refusals = outcomes.flatMap((outcome) => (outcome.type === 'config.rejected' ? [outcome] : []));
      const [refusal] = refusals;
      if (refusal !== undefined) {
        if (refusals.length < outcomes.length)
          log.error({ revision, refused: refusals.length }, 'gateway workers disagree on a configuration');
        // The reason the workers gave (the same for all of them), for the supervisor's terminal.
        throw new Error(refusal.reason);
      }
      state = { ...state, config, revision };
    },
    setTls(tls) {
      state = { ...state, tls };
      broadcast({ type: 'tls', tls });
    },
    reloadExternalCas() {
      broadcast({ type: 'external-ca' });
    },
    setCredentials(credentials) {
      state = { ...state, credentials };
      broadcast({ type: 'credentials', credentials });
    },
    metrics() {
      return Promise.all(
        slots
          .filter((slot) => slot.listening)
          .map((slot) => {
            const id = nextRequest++;
            return ask(slot, { type: 'metrics', id }, (reply) =>
              reply.type === 'metrics' && reply.id === id ? reply.metrics : undefined,
            );
          }),
      );
    },
    async stop() {
      stopping = true;
      await Promise.all(
        slots.map(async (slot) => {
          try {
            await ask(slot, { type: 'stop' }, (reply) => (reply.type === 'stopped' ? true : undefined));
          } catch (error) {
            log.error({ err: error }, 'gateway worker did not stop in time');
          }
          await slot.worker.terminate();
        }),
      );
    },
  };
}

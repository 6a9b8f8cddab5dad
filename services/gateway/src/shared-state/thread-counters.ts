import type { MessagePort } from 'node:worker_threads';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { CounterOptions, CounterStore } from './counter-store.ts';

type Operation = 'consume' | 'penalty' | 'block';

/** A worker's question to the main thread. */
interface CounterRequest {
  readonly id: number;
  readonly op: Operation;
  readonly store: CounterOptions;
  readonly key: string;
  readonly seconds?: number;
}

/** The main thread's answer: the counter after the operation, and whether it was within limits. */
interface CounterReply {
  readonly id: number;
  readonly ok: boolean;
  readonly res: {
    readonly remainingPoints: number;
    readonly msBeforeNext: number;
    readonly consumedPoints: number;
    readonly isFirstInDuration: boolean;
  };
}

/** The worker side: stores whose counts live in the main thread. */
export interface ThreadCounters {
  store(options: CounterOptions): CounterStore;
  /** Rejects whatever is still waiting (the worker is stopping). */
  close(): void;
}

/**
 * Counters shared by the gateway's worker threads: operations go to the main thread (those asked in
 * one turn of a worker's event loop as one message), which holds one `RateLimiterMemory` per store
 * and answers — so N workers count one limit and one penalty box exactly, as replicas do on Redis. An operation the main thread has not answered
 * within `timeoutMs` rejects (the limiter then applies its `onUnavailable` policy).
 *
 * @example
 * // main thread, per worker
 * const { port1, port2 } = new MessageChannel();
 * host.serve(port1); // new Worker(entry, { workerData: { counters: port2 }, transferList: [port2] })
 * // worker
 * const counters = threadCounters(workerData.counters);
 */
export function threadCounters(port: MessagePort, timeoutMs = 1_000): ThreadCounters {
  const pending = new Map<
    number,
    { resolve: (res: RateLimiterRes) => void; reject: (error: unknown) => void; timer: NodeJS.Timeout }
  >();
  let nextId = 0;
  port.on('message', (replies: readonly CounterReply[]) => {
    for (const reply of replies) {
      const waiting = pending.get(reply.id);
      if (waiting === undefined) continue;
      pending.delete(reply.id);
      clearTimeout(waiting.timer);
      const res = new RateLimiterRes(
        reply.res.remainingPoints,
        reply.res.msBeforeNext,
        reply.res.consumedPoints,
        reply.res.isFirstInDuration,
      );
      if (reply.ok) waiting.resolve(res);
      else waiting.reject(res);
    }
  });
  port.unref();

  // Operations asked within one turn of the event loop (a request's keys, concurrent requests)
  // travel as one message: a round trip between threads costs far more than the count itself.
  let batch: CounterRequest[] = [];
  const flush = (): void => {
    const sending = batch;
    batch = [];
    port.postMessage(sending);
  };

  function ask(request: Omit<CounterRequest, 'id'>): Promise<RateLimiterRes> {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the gateway's main thread did not answer a counter within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      if (batch.length === 0) queueMicrotask(flush);
      batch.push({ ...request, id });
    });
  }

  return {
    store: (store) => ({
      consume: (key) => ask({ op: 'consume', store, key }),
      penalty: (key) => ask({ op: 'penalty', store, key }),
      block: (key, seconds) => ask({ op: 'block', store, key, seconds }),
    }),
    close() {
      for (const [id, waiting] of pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error('the gateway worker is stopping'));
        pending.delete(id);
      }
      port.close();
    },
  };
}

/** The main thread's side: the counts themselves, one `RateLimiterMemory` per store. */
export interface CounterHost {
  /** Answers the worker at the other end of `port`. */
  serve(port: MessagePort): void;
  /** Keys held (counters, blocks, offences, proof ids), for tests and metrics. */
  storedKeys(): number;
}

export function createCounterHost(): CounterHost {
  const stores = new Map<string, RateLimiterMemory>();
  const storeFor = (options: CounterOptions): RateLimiterMemory => {
    let store = stores.get(options.keyPrefix);
    if (store === undefined) {
      store = new RateLimiterMemory({ ...options });
      stores.set(options.keyPrefix, store);
    }
    return store;
  };
  return {
    serve(port) {
      port.on('message', (requests: readonly CounterRequest[]) => {
        // In order: operations on one key are applied as the worker asked them.
        void Promise.all(requests.map((request) => operate(storeFor(request.store), request))).then(
          (replies) => {
            port.postMessage(replies);
          },
        );
      });
    },
    storedKeys() {
      let count = 0;
      for (const store of stores.values()) count += store.dump().storage.length;
      return count;
    },
  };
}

async function operate(store: RateLimiterMemory, request: CounterRequest): Promise<CounterReply> {
  const reply = (ok: boolean, res: RateLimiterRes): CounterReply => ({
    id: request.id,
    ok,
    res: {
      remainingPoints: res.remainingPoints,
      msBeforeNext: res.msBeforeNext,
      consumedPoints: res.consumedPoints,
      isFirstInDuration: res.isFirstInDuration,
    },
  });
  try {
    const res =
      request.op === 'consume'
        ? await store.consume(request.key)
        : request.op === 'penalty'
          ? await store.penalty(request.key)
          : await store.block(request.key, request.seconds ?? 0);
    return reply(true, res);
  } catch (rejected) {
    // RateLimiterMemory rejects only with a RateLimiterRes (over the limit).
    if (rejected instanceof RateLimiterRes) return reply(false, rejected);
    throw rejected;
  }
}

import { parseSpiffeId } from '@rampart/mesh';
import { request, type Agent } from 'undici';
import { meshAgent, type MeshCredentials } from '../mesh-agent.ts';
import type { AuditLogger, AuditOutbox, OutboxBatch, OutboxPosition } from './audit-outbox.ts';
import type { Metrics } from './metrics.ts';

/** The path events are posted to, on the audit service's base URL. */
export const AUDIT_EVENTS_PATH = '/v1/events';
/** Events in one request, at most. */
export const MAX_BATCH_EVENTS = 500;
/** One request's body, at most (the audit service accepts at least this much). */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** `{"events":[` + `]}`. */
const ENVELOPE_BYTES = 13;
/** Statuses that say the batch itself is unacceptable: sending it again cannot help. */
const REFUSED_STATUSES: ReadonlySet<number> = new Set([400, 413, 415, 422]);
const MAX_ANSWER_BYTES = 64 * 1024;

export interface EventShipperOptions {
  readonly outbox: AuditOutbox;
  /** The audit service's base URL, `https://127.0.0.1:<port>` (events go to `<url>/v1/events`). */
  readonly url: string;
  /** The component's workload credentials, read for each connection (they rotate). */
  readonly credentials: () => MeshCredentials;
  /** The SPIFFE ID the audit service must prove; any other server is never sent an event. */
  readonly serverSpiffeId: string;
  readonly log: AuditLogger;
  readonly metrics?: Metrics;
  /** Events per request, 1 to 500 (default 500). */
  readonly batchSize?: number;
  /** Bytes per request body, 1 KiB to 1 MiB (default 1 MiB). */
  readonly maxBatchBytes?: number;
  /** How long a new event waits for others to join its batch (default 20 ms). */
  readonly lingerMs?: number;
  /** Per request: connecting, the headers and the body each (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** The first retry's delay; it doubles per failure, with jitter, up to `maxBackoffMs` (default 250 ms). */
  readonly initialBackoffMs?: number;
  /** Default and upper bound 30 s. */
  readonly maxBackoffMs?: number;
  /** A number in [0, 1), for the jitter; tests pin it. */
  readonly random?: () => number;
}

export interface EventShipper {
  /** Sends what the outbox holds now; resolves true once it is all delivered, false on a failure. */
  flush(): Promise<boolean>;
  /** Stops the timers; sends what it can until `deadlineMs` (default 5 s) has passed. */
  stop(options?: { readonly deadlineMs?: number }): Promise<void>;
}

type Answer =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'refused'; readonly status: number }
  | {
      readonly kind: 'retry';
      readonly reason: 'unreachable' | 'server_error' | 'client_error' | 'bad_answer';
      readonly status?: number;
      readonly error?: unknown;
    };

type Step = 'empty' | 'sent' | 'failed';

/**
 * Ships a component's security events from its audit outbox to the audit service:
 * `POST <url>/v1/events` with `{"events":[…]}` (at most 500 events and 1 MiB), over mTLS 1.3 with
 * the workload certificate, to a server proving `serverSpiffeId`. The outbox's acknowledged
 * position moves only after a 2xx answer `{"accepted":n,"duplicates":m}` with n + m the batch's
 * size, so a crash, a restart or an outage sends events again, never loses them (the audit service
 * deduplicates by `id`). A failure (no connection, a 5xx, a bad answer, another 4xx) is retried
 * with exponential backoff and full jitter, capped at 30 s. A batch refused as such (400, 413,
 * 415, 422) is halved until the refused event is alone, which is moved to a `rejected-….jsonl`
 * file, logged and counted; the others go on. It starts at once with what a previous run left.
 *
 * @example
 * const shipper = createEventShipper({
 *   outbox, url: 'https://127.0.0.1:8447', credentials: () => identity.current(),
 *   serverSpiffeId: componentSpiffeId(trustDomain, 'audit'), log, metrics,
 * });
 * // on stop: await shipper.stop(); events.close();
 */
export function createEventShipper(options: EventShipperOptions): EventShipper {
  const { outbox, log, metrics } = options;
  const batchSize = options.batchSize ?? MAX_BATCH_EVENTS;
  const maxBatchBytes = options.maxBatchBytes ?? MAX_BATCH_BYTES;
  const lingerMs = options.lingerMs ?? 20;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const random = options.random ?? Math.random;
  const url = new URL(AUDIT_EVENTS_PATH, options.url);
  if (url.protocol !== 'https:') throw new TypeError('url must be https: events travel over mTLS only');
  if (parseSpiffeId(options.serverSpiffeId) === null)
    throw new TypeError('serverSpiffeId must be a SPIFFE ID, e.g. spiffe://shop.local/rampart/audit');
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_EVENTS)
    throw new TypeError(`batchSize must be an integer from 1 to ${MAX_BATCH_EVENTS}`);
  if (!Number.isInteger(maxBatchBytes) || maxBatchBytes < 1024 || maxBatchBytes > MAX_BATCH_BYTES)
    throw new TypeError(`maxBatchBytes must be an integer from 1024 to ${MAX_BATCH_BYTES}`);
  if (!(initialBackoffMs > 0 && maxBackoffMs >= initialBackoffMs && maxBackoffMs <= 30_000))
    throw new TypeError('backoff: 0 < initialBackoffMs <= maxBackoffMs <= 30000');

  const connections = connectionsTo(options.credentials, options.serverSpiffeId, timeoutMs);
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  let again = false;
  let stopped = false;
  let failures = 0;
  /** While a refused batch is being narrowed down: its end, and the current batch size. */
  let narrowing: { until: OutboxPosition; size: number } | undefined;

  function wake(delayMs: number): void {
    if (stopped || timer !== undefined) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      void pump();
    }, delayMs);
    timer.unref();
  }

  /** Ships batches until the outbox is empty (true) or one fails (false), one run at a time. */
  function pump(): Promise<boolean> {
    if (running !== undefined) return running;
    const run = (async () => {
      for (;;) {
        const step = await shipOne().catch((error: unknown): Step => {
          log.error({ err: error }, 'audit event shipper: the outbox could not be read or updated');
          return 'failed';
        });
        if (step === 'empty') {
          failures = 0;
          return true;
        }
        if (step === 'failed') {
          failures++;
          if (!stopped) {
            const ceiling = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(failures - 1, 30));
            // Full jitter, never under a tenth of the ceiling: spread out, but not hammering.
            timer = setTimeout(
              () => {
                timer = undefined;
                void pump();
              },
              ceiling * (0.1 + 0.9 * random()),
            );
            timer.unref();
          }
          return false;
        }
        failures = 0;
      }
    })();
    running = run.finally(() => {
      running = undefined;
      if (again) {
        again = false;
        wake(0);
      }
    });
    return running;
  }

  async function shipOne(): Promise<Step> {
    if (stopping.signal.aborted) return 'failed';
    const maxEvents = narrowing?.size ?? batchSize;
    const batch = await outbox.read({ maxEvents, maxBytes: maxBatchBytes - ENVELOPE_BYTES });
    if (batch.end.segment === batch.start.segment && batch.end.offset === batch.start.offset) return 'empty';
    if (batch.lines.length === 0) {
      await outbox.acknowledge(batch);
      return 'sent';
    }
    const answer = await send(batch);
    switch (answer.kind) {
      case 'delivered':
        metrics?.auditEventsShipped.inc(batch.lines.length);
        await outbox.acknowledge(batch);
        if (narrowing !== undefined && !before(batch.end, narrowing.until)) narrowing = undefined;
        return 'sent';
      case 'refused':
        metrics?.auditShipFailures.inc({ reason: 'refused' });
        if (batch.lines.length > 1) {
          narrowing = {
            until: narrowing?.until ?? batch.end,
            size: Math.ceil(batch.lines.length / 2),
          };
          return 'sent';
        }
        log.error(
          {
            status: answer.status,
            rejectedFile: await outbox.reject(batch),
            segment: batch.start.segment,
            offset: batch.start.offset,
          },
          'audit service refused a security event: moved aside, not sent again',
        );
        if (narrowing !== undefined && !before(batch.end, narrowing.until)) narrowing = undefined;
        return 'sent';
      case 'retry':
        metrics?.auditShipFailures.inc({ reason: answer.reason });
        log.warn(
          {
            reason: answer.reason,
            status: answer.status,
            err: answer.error,
            attempt: failures + 1,
            pending: outbox.pendingEvents,
          },
          'audit service did not take security events; they stay in the outbox and will be sent again',
        );
        return 'failed';
    }
  }

  async function send(batch: OutboxBatch): Promise<Answer> {
    const body = `{"events":[${batch.lines.join(',')}]}`;
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        dispatcher: connections.agent(),
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      return { kind: 'retry', reason: 'unreachable', error };
    }
    if (status >= 200 && status < 300) {
      return isReceipt(text, batch.lines.length)
        ? { kind: 'delivered' }
        : { kind: 'retry', reason: 'bad_answer', status };
    }
    if (REFUSED_STATUSES.has(status)) return { kind: 'refused', status };
    return { kind: 'retry', reason: status >= 500 ? 'server_error' : 'client_error', status };
  }

  outbox.onWrite(() => {
    wake(lingerMs);
  });
  wake(0);

  return {
    async flush() {
      clearTimeout(timer);
      timer = undefined;
      await running;
      return pump();
    },

    async stop(stopOptions = {}) {
      const deadlineMs = stopOptions.deadlineMs ?? 5_000;
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      const deadline = setTimeout(() => {
        stopping.abort();
      }, deadlineMs);
      try {
        await running;
        if (!stopping.signal.aborted) await pump();
      } catch (error) {
        log.warn({ err: error }, 'audit event shipper: stopping with events still in the outbox');
      } finally {
        clearTimeout(deadline);
        await connections.close(stopping.signal.aborted);
      }
    },
  };
}

/**
 * `{"accepted":n,"duplicates":m,"conflicts":c}` with n + m + c = the batch's size (`conflicts`
 * optional: ids held with other content, final — sending them again changes nothing).
 */
function isReceipt(text: string, count: number): boolean {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return false;
    const { accepted, duplicates, conflicts = 0 } = value as Record<string, unknown>;
    const counts = [accepted, duplicates, conflicts];
    return (
      counts.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) &&
      counts.reduce<number>((sum, n) => sum + (n as number), 0) === count
    );
  } catch {
    return false;
  }
}

function before(a: OutboxPosition, b: OutboxPosition): boolean {
  return a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);
}

/** One agent for the current credentials; a new one (and the old closed) when they change. */
function connectionsTo(
  credentials: () => MeshCredentials,
  serverSpiffeId: string,
  timeoutMs: number,
): { agent(): Agent; close(force: boolean): Promise<void> } {
  let current: { readonly credentials: MeshCredentials; readonly agent: Agent } | undefined;
  return {
    agent() {
      const now = credentials();
      if (current !== undefined && sameCredentials(current.credentials, now)) return current.agent;
      const previous = current?.agent;
      current = {
        credentials: now,
        agent: meshAgent(now, serverSpiffeId, { timeoutMs, maxResponseBytes: MAX_ANSWER_BYTES }),
      };
      previous?.close().catch(() => undefined);
      return current.agent;
    },
    async close(force) {
      const agent = current?.agent;
      current = undefined;
      if (agent === undefined) return;
      await (force ? agent.destroy() : agent.close());
    },
  };
}

function sameCredentials(a: MeshCredentials, b: MeshCredentials): boolean {
  return (
    a.certPem === b.certPem &&
    a.keyPem === b.keyPem &&
    a.caPems.length === b.caPems.length &&
    a.caPems.every((pem, i) => pem === b.caPems[i])
  );
}

import type { AuditLogger, AuditOutbox, OutboxPosition } from './audit-outbox.ts';
import type { EventSender } from './event-sender.ts';
import { createHttpEventSender, type HttpEventSenderOptions } from './http-event-sender.ts';
import type { Metrics } from './metrics.ts';

export { AUDIT_EVENTS_PATH } from './http-event-sender.ts';
/** Events in one batch, at most. */
export const MAX_BATCH_EVENTS = 500;
/** One batch's bytes, at most (the audit service accepts at least this much in one request). */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** `{"events":[` + `]}`. */
const ENVELOPE_BYTES = 13;

/** What the shipper sends through: the audit service over HTTP (the default), or another sender. */
export type ShipperTransport =
  | Omit<HttpEventSenderOptions, 'timeoutMs'>
  | {
      /** A transport of its own, e.g. {@link createNatsEventSender}; the shipper closes it on stop. */
      readonly sender: EventSender;
    };

export type EventShipperOptions = ShipperTransport & {
  readonly outbox: AuditOutbox;
  readonly log: AuditLogger;
  readonly metrics?: Metrics;
  /** Events per batch, 1 to 500 (default 500). */
  readonly batchSize?: number;
  /** Bytes per batch, 1 KiB to 1 MiB (default 1 MiB). */
  readonly maxBatchBytes?: number;
  /** How long a new event waits for others to join its batch (default 20 ms). */
  readonly lingerMs?: number;
  /** Per HTTP request: connecting, the headers and the body each (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** The first retry's delay; it doubles per failure, with jitter, up to `maxBackoffMs` (default 250 ms). */
  readonly initialBackoffMs?: number;
  /** Default and upper bound 30 s. */
  readonly maxBackoffMs?: number;
  /** A number in [0, 1), for the jitter; tests pin it. */
  readonly random?: () => number;
};

export interface EventShipper {
  /** Sends what the outbox holds now; resolves true once it is all delivered, false on a failure. */
  flush(): Promise<boolean>;
  /** Stops the timers; sends what it can until `deadlineMs` (default 5 s) has passed. */
  stop(options?: { readonly deadlineMs?: number }): Promise<void>;
}

type Step = 'empty' | 'sent' | 'failed';

/**
 * Ships a component's security events from its audit outbox, in batches of at most 500 events and
 * 1 MiB, through a sender: by default `POST <url>/v1/events` to the audit service over mTLS
 * ({@link createHttpEventSender}), or NATS JetStream ({@link createNatsEventSender}). The outbox's
 * acknowledged position moves only once the sender says the whole batch is delivered, so a crash,
 * a restart or an outage sends events again, never loses them (the audit service deduplicates by
 * `id`). A failure is retried with exponential backoff and full jitter, capped at 30 s. A batch
 * refused as such is halved until the refused event is alone, which is moved to a
 * `rejected-….jsonl` file, logged and counted; the others go on. It starts at once with what a
 * previous run left.
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
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_EVENTS)
    throw new TypeError(`batchSize must be an integer from 1 to ${MAX_BATCH_EVENTS}`);
  if (!Number.isInteger(maxBatchBytes) || maxBatchBytes < 1024 || maxBatchBytes > MAX_BATCH_BYTES)
    throw new TypeError(`maxBatchBytes must be an integer from 1024 to ${MAX_BATCH_BYTES}`);
  if (!(initialBackoffMs > 0 && maxBackoffMs >= initialBackoffMs && maxBackoffMs <= 30_000))
    throw new TypeError('backoff: 0 < initialBackoffMs <= maxBackoffMs <= 30000');

  const sender =
    'sender' in options
      ? options.sender
      : createHttpEventSender({
          url: options.url,
          credentials: options.credentials,
          serverSpiffeId: options.serverSpiffeId,
          timeoutMs,
        });
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
    const answer = await sender.send(batch.lines, stopping.signal);
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
            detail: answer.detail,
            rejectedFile: await outbox.reject(batch),
            segment: batch.start.segment,
            offset: batch.start.offset,
          },
          `${sender.destination} refused a security event: moved aside, not sent again`,
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
          `${sender.destination} did not take security events; they stay in the outbox and will be sent again`,
        );
        return 'failed';
    }
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
        await sender.close(stopping.signal.aborted);
      }
    },
  };
}

function before(a: OutboxPosition, b: OutboxPosition): boolean {
  return a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);
}

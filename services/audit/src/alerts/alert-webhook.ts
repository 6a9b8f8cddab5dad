import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, type Registry } from 'prom-client';
import { Agent, request, type Dispatcher } from 'undici';
import type { Secret } from '@rampart/config';
import type { Logger } from '@rampart/sdk';
import type { Alert } from '../detection/alert.ts';
import type { Severity } from '../detection/rule-schema.ts';
import { BoundedQueue } from './bounded-queue.ts';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  outcomeOfStatus,
  retryAfterMs,
  type Backoff,
} from './retry-policy.ts';
import {
  MIN_SECRET_BYTES,
  SIGNATURE_HEADER,
  signatureHeader,
  WEBHOOK_ID_HEADER,
} from './webhook-signature.ts';

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The JSON body of one delivery. */
export interface WebhookPayload {
  readonly type: 'audit.alert';
  /** The system's `name` from rampart.yaml, for a receiver serving several. */
  readonly system: string;
  readonly alert: Alert;
}

export type DeliveryResult = 'delivered' | 'rejected' | 'failed' | 'dropped';

export interface AlertWebhookOptions {
  /** An https:// URL. */
  readonly url: string;
  readonly secret: Secret;
  readonly system: string;
  readonly log: Logger;
  /** `audit_webhook_deliveries_total{result}` is registered here. */
  readonly registry: Registry;
  /** Send alerts of this severity and above (default `low`: all). */
  readonly minSeverity?: Severity;
  /** Alerts waiting to be sent (default 1000); a full queue drops the oldest. */
  readonly queueSize?: number;
  /** Attempts per alert before it is given up (default 8: about 4 minutes with the default backoff). */
  readonly maxAttempts?: number;
  readonly backoff?: Backoff;
  /** One attempt's limit, connection to the end of the answer (default 10 s). */
  readonly timeoutMs?: number;
  /** Extra trust anchors (PEM) for the receiver's certificate, beside Node's (tests, private CAs). */
  readonly ca?: string;
}

export interface AlertWebhook {
  /** Queues one alert (if severe enough); O(1), never waits, never throws. */
  enqueue(alert: Alert): void;
  /** Alerts waiting now (not counting the one being sent). */
  readonly queued: number;
  /** Resolves once the queue is empty and nothing is in flight (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops: the attempt in flight is abandoned; what is queued is logged as lost. */
  close(): Promise<void>;
}

/**
 * The alert webhook: each alert is POSTed as JSON, signed (`Rampart-Signature: t=…,v1=…`,
 * HMAC-SHA-256 over `<t>.<body>`) and named (`Rampart-Webhook-Id: <alert id>`, the same on every
 * retry). The event path only pushes onto a bounded queue; one sender works through it, retrying
 * network errors, timeouts, 408/425/429 and 5xx with exponential backoff and jitter (honouring
 * Retry-After up to the backoff's cap) until `maxAttempts`. Logs name the receiver's origin only —
 * never the URL's path or query (a chat webhook's path is its credential) nor the secret.
 *
 * @example
 * const webhook = createAlertWebhook({ url, secret, system: config.name, log, registry: metrics.registry });
 * webhook.enqueue(alert);
 */
export function createAlertWebhook(options: AlertWebhookOptions): AlertWebhook {
  const url = new URL(options.url);
  if (url.protocol !== 'https:') throw new TypeError('the alert webhook must be an https:// URL');
  if (Buffer.byteLength(options.secret.reveal()) < MIN_SECRET_BYTES) {
    throw new TypeError(`the alert webhook's secret must be at least ${String(MIN_SECRET_BYTES)} bytes`);
  }
  const { log, secret, system } = options;
  const origin = url.origin;
  const minRank = SEVERITY_RANK[options.minSeverity ?? 'low'];
  const maxAttempts = options.maxAttempts ?? 8;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const queue = new BoundedQueue<Alert>(options.queueSize ?? 1000);
  const deliveries = new Counter({
    name: 'audit_webhook_deliveries_total',
    help: 'Alerts sent to the webhook, by result: delivered, rejected (a 4xx), failed (every attempt failed), dropped (queue full).',
    labelNames: ['result'] as const,
    registers: [options.registry],
  });
  for (const result of ['delivered', 'rejected', 'failed', 'dropped'] as const) deliveries.inc({ result }, 0);
  const dispatcher: Dispatcher = new Agent({
    connect: { timeout: timeoutMs, ...(options.ca === undefined ? {} : { ca: options.ca }) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connections: 2,
  });
  const stop = new AbortController();
  let wake: (() => void) | undefined;
  let busy = false;
  let idleWaiters: (() => void)[] = [];
  let droppedSinceLog = 0;
  let lastDropLog = 0;

  const settle = (result: DeliveryResult, alert: Alert, extra: Record<string, unknown> = {}): void => {
    deliveries.inc({ result });
    const fields = { webhook: origin, alert: alert.id, rule: alert.rule, ...extra };
    if (result === 'delivered') log.debug(fields, 'alert delivered to the webhook');
    else if (result !== 'dropped') log.warn({ ...fields, result }, `alert webhook ${result} an alert`);
  };

  const attempt = async (
    alert: Alert,
    body: string,
  ): Promise<{ status?: number; retryAfter?: string; error?: string }> => {
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'rampart-audit-webhook/1',
          [WEBHOOK_ID_HEADER]: alert.id,
          [SIGNATURE_HEADER]: signatureHeader(secret.reveal(), timestamp, body),
        },
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
      });
      // The answer's body is not read, only drained (bounded by the same timeout).
      await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const retryAfter = response.headers['retry-after'];
      return {
        status: response.statusCode,
        ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
      };
    } catch (error) {
      return { error: errorName(error) };
    }
  };

  const deliver = async (alert: Alert): Promise<void> => {
    const payload: WebhookPayload = { type: 'audit.alert', system, alert };
    const body = JSON.stringify(payload);
    for (let n = 1; n <= maxAttempts; n += 1) {
      const answer = await attempt(alert, body);
      if (stop.signal.aborted) return;
      const outcome = answer.status === undefined ? 'retry' : outcomeOfStatus(answer.status);
      if (outcome === 'delivered') {
        settle('delivered', alert, { attempts: n });
        return;
      }
      if (outcome === 'rejected') {
        settle('rejected', alert, { attempts: n, status: answer.status });
        return;
      }
      if (n === maxAttempts) {
        settle('failed', alert, {
          attempts: n,
          ...(answer.status === undefined ? { error: answer.error } : { status: answer.status }),
        });
        return;
      }
      const asked = retryAfterMs(answer.retryAfter, Date.now());
      const delay = Math.min(backoff.maxMs, Math.max(asked ?? 0, backoffDelay(n, backoff)));
      log.info(
        {
          webhook: origin,
          alert: alert.id,
          attempt: n,
          ...(answer.status === undefined ? { error: answer.error } : { status: answer.status }),
          retryInMs: delay,
        },
        'alert webhook attempt failed; retrying',
      );
      try {
        await sleep(delay, undefined, { signal: stop.signal });
      } catch {
        return;
      }
    }
  };

  const run = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      const alert = queue.shift();
      if (alert === undefined) {
        busy = false;
        for (const resolve of idleWaiters) resolve();
        idleWaiters = [];
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      busy = true;
      await deliver(alert);
    }
  };
  const running = run().catch((error: unknown) => {
    log.error({ err: error, webhook: origin }, 'alert webhook sender stopped');
  });

  return {
    enqueue(alert) {
      if (stop.signal.aborted || SEVERITY_RANK[alert.severity] < minRank) return;
      const dropped = queue.push(alert);
      if (dropped !== undefined) {
        deliveries.inc({ result: 'dropped' });
        droppedSinceLog += 1;
        const now = Date.now();
        if (now - lastDropLog >= 10_000) {
          log.warn(
            {
              webhook: origin,
              dropped: droppedSinceLog,
              queueSize: queue.capacity,
              oldestDropped: dropped.id,
            },
            'alert webhook queue full: dropped the oldest alerts',
          );
          droppedSinceLog = 0;
          lastDropLog = now;
        }
      }
      busy = true;
      wake?.();
    },
    get queued() {
      return queue.length;
    },
    idle() {
      if (!busy && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      if (stop.signal.aborted) return;
      const lost = queue.length;
      stop.abort();
      wake?.();
      await running;
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
      if (lost > 0) log.warn({ webhook: origin, lost }, 'alert webhook closed with alerts not sent');
      await dispatcher.close();
    },
  };
}

/** A network failure's code (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, …): never its message. */
function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return 'unknown';
}

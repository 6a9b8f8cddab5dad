import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { COMPONENT_KINDS } from '@rampart/config';
import { componentSpiffeId, serviceSpiffeId, type WorkloadCredentials } from '@rampart/mesh';
import {
  AUDIT_STREAM,
  AUDIT_SUBJECT_PREFIX,
  connectNats,
  type Logger,
  type NatsSettings,
} from '@rampart/sdk';
import type { Ledger } from '../ledger/index.ts';
import { appendBatch, type OnStored } from './append-batch.ts';
import { checkEvent } from './event-check.ts';
import { AUDIT_CONSUMER, ensureAuditStream } from './nats-stream.ts';

/** Why a message was terminated (never delivered again): the `reason` of `audit.event_refused`. */
export type RefusalReason = 'unknown_subject' | 'malformed' | 'wrong_source';

export interface NatsConsumerOptions {
  readonly settings: NatsSettings;
  readonly trustDomain: string;
  readonly credentials: () => WorkloadCredentials;
  readonly ledger: Ledger;
  readonly log: Logger;
  /** Told of each stored event once committed (metrics, detection, the live feed). */
  readonly onStored?: OnStored;
  /** Told of each message refused for good: the audit service records it as its own event. */
  readonly onRefused?: (refusal: {
    component: string | undefined;
    reason: RefusalReason;
    detail: string;
  }) => void;
  /** Delay before an event the ledger could not take is delivered again (default 1 s). */
  readonly retryDelayMs?: number;
}

export interface NatsConsumer {
  /** Stops pulling, waits for events in flight to be committed and acknowledged, closes the connection. */
  close(): Promise<void>;
}

/** The workload a subject belongs to: `orders` for `rampart.audit.events.orders`. */
export function componentOfSubject(subject: string): string | undefined {
  const prefix = `${AUDIT_SUBJECT_PREFIX}.`;
  if (!subject.startsWith(prefix)) return undefined;
  const name = subject.slice(prefix.length);
  return /^[a-z][a-z0-9-]{0,62}$/u.test(name) && name !== 'audit' ? name : undefined;
}

/**
 * The `source` stored with an event from `component`'s subject. Over `tls://`, the nats-server
 * Rampart configures lets each workload certificate publish on its own subject alone, so the subject
 * names the publisher as surely as a certificate does: the component's SPIFFE ID. Over an
 * unauthenticated `nats://` (`dangerouslyAllowUnauthenticated`) anyone could have published it, and
 * the stored source says so: `nats-unauthenticated:<component>`.
 */
export function sourceOf(component: string, trustDomain: string, authenticated: boolean): string {
  if (!authenticated) return `nats-unauthenticated:${component}`;
  return (COMPONENT_KINDS as readonly string[]).includes(component) && component !== 'service'
    ? componentSpiffeId(trustDomain, component)
    : serviceSpiffeId(trustDomain, component);
}

/**
 * Consumes the security events components publish to NATS JetStream (`storage.nats`) into the
 * ledger. In the background — the audit service starts and serves while NATS is away; its
 * publishers' outboxes hold the events meanwhile — it connects (again and again until it can),
 * creates or checks the stream and the durable pull consumer, then takes each message
 * through the checks of `POST /v1/events`: the subject names a component, the body is one event of
 * the event schema, its `service` is that component. A message failing them is terminated (never
 * delivered again, never retried forever), logged and told to `onRefused`; the consumer goes on. A
 * good event is appended under its id (a redelivery is a duplicate, not a second entry) and
 * acknowledged only once the ledger committed it; if the ledger fails, it is delivered again after
 * `retryDelayMs`, and after a crash JetStream delivers what was not acknowledged again. Concurrent
 * appends are written together in one transaction by the ledger, in delivery order.
 *
 * @example
 * const consumer = startNatsConsumer({ settings: config.storage.nats, trustDomain, credentials, ledger, log, onStored });
 * // on stop: await consumer.close();
 */
export function startNatsConsumer(options: NatsConsumerOptions): NatsConsumer {
  const { ledger, log, trustDomain } = options;
  const authenticated = options.settings.url.startsWith('tls://');
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  let connection: NatsConnection | undefined;
  /** The stream and the consumer were checked on this connection. */
  let ready = false;
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();
  /** A call, not a variable: it changes while the loop awaits. */
  const stopped = (): boolean => stopping.signal.aborted;
  let messages: ConsumerMessages | undefined;

  function refuse(
    message: JsMsg,
    component: string | undefined,
    reason: RefusalReason,
    detail: string,
  ): void {
    // No reason text: nats-server before 2.10 ignores a `+TERM <reason>` it does not parse.
    message.term();
    log.warn(
      { subject: message.subject, seq: message.seq, reason, detail },
      'audit: a NATS message was refused and will not be delivered again',
    );
    options.onRefused?.({ component, reason, detail });
  }

  async function handle(message: JsMsg): Promise<void> {
    const component = componentOfSubject(message.subject);
    if (component === undefined) {
      refuse(message, undefined, 'unknown_subject', 'the subject names no component');
      return;
    }
    const checked = checkEvent(message.data);
    if (!checked.ok) {
      refuse(message, component, 'malformed', checked.reason);
      return;
    }
    if (checked.event.service !== component) {
      refuse(message, component, 'wrong_source', `the event's service is not "${component}", its subject's`);
      return;
    }
    try {
      await appendBatch(
        ledger,
        sourceOf(component, trustDomain, authenticated),
        [checked.event],
        options.onStored,
      );
    } catch (error) {
      log.error(
        { err: error, seq: message.seq },
        'audit: the ledger did not take an event from NATS; it comes again',
      );
      message.nak(retryDelayMs);
      return;
    }
    message.ack();
  }

  const loop = (async () => {
    while (!stopped()) {
      try {
        if (connection === undefined || connection.isClosed()) {
          ready = false;
          connection = await connectNats({
            settings: options.settings,
            trustDomain,
            credentials: options.credentials,
            name: 'audit',
            reconnect: true,
          });
          if (stopped()) break;
        }
        if (!ready) {
          await ensureAuditStream(await jetstreamManager(connection));
          ready = true;
          log.info('audit: connected to NATS JetStream; consuming security events');
        }
        const consumer = await jetstream(connection).consumers.get(AUDIT_STREAM, AUDIT_CONSUMER);
        messages = await consumer.consume({ max_messages: 500 });
        for await (const message of messages) {
          const work = handle(message).catch((error: unknown) => {
            log.error({ err: error }, 'audit: handling a NATS message failed');
          });
          inFlight.add(work);
          void work.finally(() => inFlight.delete(work));
        }
      } catch (error) {
        if (stopped()) break;
        log.warn({ err: error }, 'audit: consuming from NATS failed; trying again');
      }
      if (!stopped()) await sleep(retryDelayMs).catch(() => undefined);
    }
  })();

  return {
    async close() {
      stopping.abort();
      await messages?.close().catch(() => undefined);
      await loop;
      await Promise.all(inFlight);
      const open = connection;
      connection = undefined;
      await open?.drain().catch(() => open.close());
    },
  };
}
